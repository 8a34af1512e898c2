import type { Client } from '@temporalio/client';
import type { ArchiveEnv } from '../../tools/harness/archive-env';
import { sleep } from './setup';
import type { ExpectedTicket } from './tickets';
import { type VerifyReport, verifyArchive } from './verify';

/**
 * Chaos verification, once the faults stop: wait until every archive workflow has ended, count the
 * activity retries the faults caused, then audit the stores (verify.ts) and Temporal itself (one
 * archive run per ticket).
 */

/** Waits for every ticket's workflow to leave RUNNING; one that ends otherwise than COMPLETED is logged. */
export async function drainWorkflows(
  temporal: Client,
  tickets: ExpectedTicket[],
  workflowIds: Map<string, string>,
  checkDeadline: (what: string) => void,
  log: (line: string) => void,
): Promise<void> {
  for (const t of tickets) {
    const id = workflowIds.get(t.id) as string;
    for (;;) {
      checkDeadline(`draining: waiting for ${id}`);
      const handle = temporal.workflow.getHandle(id);
      const status = await handle
        .describe()
        .then((d) => d.status.name)
        .catch(() => 'UNKNOWN');
      if (status === 'COMPLETED') break;
      if (status !== 'RUNNING' && status !== 'UNKNOWN') {
        log(`chaos: workflow ${id} ended ${status}`);
        break;
      }
      await sleep(500);
    }
  }
}

/** Activity attempts beyond the first, from the workflows' histories. */
export async function countActivityRetries(
  temporal: Client,
  workflowIds: Map<string, string>,
): Promise<{ activityRetries: number; activitiesRetried: number }> {
  let activityRetries = 0;
  let activitiesRetried = 0;
  for (const id of new Set(workflowIds.values())) {
    const history = await temporal.workflow.getHandle(id).fetchHistory();
    for (const e of history.events ?? []) {
      const attempt = e.activityTaskStartedEventAttributes?.attempt ?? 1;
      if (attempt > 1) {
        activitiesRetried++;
        activityRetries += attempt - 1;
      }
    }
  }
  return { activityRetries, activitiesRetried };
}

/** The stores' audit, plus a `duplicated` problem for every ticket archived by more than one run. */
export async function verifyChaosRun(
  archive: ArchiveEnv,
  tickets: ExpectedTicket[],
  workflowIds: Map<string, string>,
): Promise<VerifyReport> {
  const verify = await verifyArchive({
    db: archive.db,
    store: archive.store,
    search: archive.search,
    collections: archive.collections,
    config: archive.config,
    tickets,
  });
  for (const t of tickets) {
    const id = workflowIds.get(t.id) as string;
    let runs = 0;
    for await (const _ of archive.temporal.workflow.list({ query: `WorkflowId = "${id}"` })) runs++;
    if (runs > 1) {
      verify.problems.push({ ticketId: t.id, kind: 'duplicated', what: `${runs} workflow runs` });
      verify.duplicated = new Set(
        verify.problems.filter((p) => p.kind === 'duplicated').map((p) => p.ticketId),
      ).size;
    }
  }
  return verify;
}
