import { proxyActivities } from '@temporalio/workflow';

/** A trivial workflow proving the dev server, a worker and an activity round trip work. */
export async function echoWorkflow(text: string): Promise<string> {
  const { shout } = proxyActivities<{ shout(t: string): Promise<string> }>({
    startToCloseTimeout: '10 seconds',
  });
  return `echo: ${await shout(text)}`;
}
