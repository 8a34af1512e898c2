import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { exportWorkflowId } from '../../lib/temporal/contract';
import type { ExportContactPdfInput, ExportTicketPdfInput } from '../../workflows/export-pdf';
import { fakeExports } from '../support/fake-activities';
import { startWorkflowTestEnv, type WorkflowTestEnv } from '../support/workflow-env';

/**
 * exportTicketPdf and exportContactPdf on the time-skipping test server with in-memory
 * activities: a render that succeeds is the result; one that keeps failing is retried (the
 * back-offs skipped, not waited for), then recorded `failed` with its reason before the
 * workflow fails with a message a person can read.
 */
let wf: WorkflowTestEnv;
beforeAll(async () => {
  wf = await startWorkflowTestEnv();
});
afterAll(async () => {
  await wf?.close();
});

const ticketInput = (exportId: string): ExportTicketPdfInput => ({
  exportId,
  tenantId: 'tenant-a',
  ticketId: 'ticket-1',
  requestedBy: 'agent@example.test',
});
const contactInput = (exportId: string): ExportContactPdfInput => ({
  exportId,
  tenantId: 'tenant-a',
  identity: 'someone@example.test',
  from: '2025-01-01T00:00:00.000Z',
  requestedBy: 'agent@example.test',
});

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('the workflow completed');
    },
    (err: unknown) => err as WorkflowFailedError,
  );

describe.each([
  ['exportTicketPdf', ticketInput],
  ['exportContactPdf', contactInput],
] as const)('%s', (workflowType, input) => {
  test('a rendered document is the result and the export is done', async () => {
    const fake = fakeExports();
    const exportId = `${workflowType}-ok`;
    const result = await wf.run(fake.activities, (taskQueue) =>
      wf.client.workflow.execute(workflowType, {
        taskQueue,
        workflowId: exportWorkflowId('tenant-a', exportId),
        args: [input(exportId)],
      }),
    );
    expect(result).toEqual({
      exportId,
      sha256: `sha256:pdf-${exportId}`,
      pages: 2,
      size: 4096,
      messageCount: 5,
    });
    expect(fake.exports.get(exportId)).toEqual({ status: 'done' });
    expect(fake.renders()).toBe(1);
  }, 60_000);

  test('a render that keeps failing is retried, then the export ends failed with a readable error', async () => {
    const fake = fakeExports({ fail: new Error('Chromium crashed: Target closed') });
    const exportId = `${workflowType}-crash`;
    const failure = await wf.run(fake.activities, (taskQueue) =>
      failureOf(
        wf.client.workflow.execute(workflowType, {
          taskQueue,
          workflowId: exportWorkflowId('tenant-a', exportId),
          args: [input(exportId)],
        }),
      ),
    );
    // Five attempts with up to 16 s between them: the test server skips that time.
    expect(fake.renders()).toBe(5);
    expect(fake.exports.get(exportId)).toEqual({
      status: 'failed',
      error: 'Chromium crashed: Target closed',
    });
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(failure.cause).toMatchObject({
      type: 'ExportFailed',
      nonRetryable: true,
      message: `export ${exportId} failed: Chromium crashed: Target closed`,
    });
  }, 60_000);

  test('a failure no retry can fix is recorded after one attempt', async () => {
    const fake = fakeExports({
      fail: ApplicationFailure.nonRetryable('export gone does not exist', 'ExportNotFound'),
    });
    const exportId = `${workflowType}-gone`;
    const failure = await wf.run(fake.activities, (taskQueue) =>
      failureOf(
        wf.client.workflow.execute(workflowType, {
          taskQueue,
          workflowId: exportWorkflowId('tenant-a', exportId),
          args: [input(exportId)],
        }),
      ),
    );
    expect(fake.renders()).toBe(1);
    expect(fake.exports.get(exportId)).toEqual({ status: 'failed', error: 'export gone does not exist' });
    expect(failure.cause?.message).toBe(`export ${exportId} failed: export gone does not exist`);
  }, 60_000);
});
