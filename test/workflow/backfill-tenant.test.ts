import { defaultPayloadConverter } from '@temporalio/common';
import { archiveWorkflowId } from '../../lib/temporal/contract';
import type { BackfillInput, BackfillProgress } from '../../workflows/backfill-tenant';
import { fakeArchive, fakeListing } from '../support/fake-activities';
import { startWorkflowTestEnv, type WorkflowTestEnv } from '../support/workflow-env';

/**
 * backfillTenant on the time-skipping test server with in-memory activities: listing pages,
 * child archives, continue-as-new carrying the cursor and counters, and the archives it must not
 * start twice (already archived, already running).
 */
let wf: WorkflowTestEnv;
beforeAll(async () => {
  wf = await startWorkflowTestEnv();
});
afterAll(async () => {
  await wf?.close();
});

const TENANT = 'tenant-a';
const ids = (n: number) => Array.from({ length: n }, (_, i) => `ticket-${String(i).padStart(2, '0')}`);
const input = (over: Partial<BackfillInput> = {}): BackfillInput => ({
  tenantId: TENANT,
  from: '2025-06-01T00:00:00.000Z',
  to: '2025-07-01T00:00:00.000Z',
  ...over,
});

test('continues as new every few tickets, carrying cursor and counters; every ticket archived once', async () => {
  const all = ids(11);
  const archivedBefore = new Set([all[1], all[6]] as string[]);
  const listing = fakeListing(all, archivedBefore);
  const archive = fakeArchive({ mediaBatches: 2 });
  const workflowId = `backfill/${TENANT}/can`;
  const { result, continued } = await wf.run({ ...archive.activities, ...listing }, async (taskQueue) => {
    const handle = await wf.client.workflow.start('backfillTenant', {
      taskQueue,
      workflowId,
      args: [input({ pageSize: 2, concurrency: 3, continueAsNewEvery: 3 })],
    });
    const result = (await handle.result()) as BackfillProgress;
    // Each run but the last ends by continuing as new with its state as the next run's input.
    const continued: NonNullable<BackfillInput['state']>[] = [];
    let runId: string | undefined = handle.firstExecutionRunId;
    while (runId) {
      const history: Awaited<ReturnType<typeof handle.fetchHistory>> = await wf.client.workflow
        .getHandle(workflowId, runId)
        .fetchHistory();
      const last = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes;
      if (!last) break;
      const next = defaultPayloadConverter.fromPayload<BackfillInput>(last.input?.payloads?.[0] ?? {});
      if (next.state) continued.push(next.state);
      runId = last.newExecutionRunId ?? undefined;
    }
    return { result, continued };
  });

  const fresh = all.filter((id) => !archivedBefore.has(id));
  expect(result).toEqual({
    listed: 11,
    skipped: 2,
    started: 9,
    archived: 9,
    failed: 0,
    joined: 0,
    done: true,
    cursor: 11,
    run: continued.length + 1,
  });
  expect(continued.length).toBeGreaterThanOrEqual(2);
  // Runs hand over growing cursors and counters, drained (every started child finished).
  continued.forEach((state, i) => {
    expect(state.run).toBe(i + 2);
    expect(state.counters.started).toBe(state.counters.archived);
    if (i > 0) {
      const before = continued[i - 1] as NonNullable<BackfillInput['state']>;
      expect(state.cursor).toBeGreaterThan(before.cursor);
      expect(state.counters.listed).toBeGreaterThan(before.counters.listed);
    }
  });
  // No page listed twice across runs, none skipped.
  expect(listing.pages.map((p) => p.skip)).toEqual([0, 2, 4, 6, 8, 10]);
  expect([...archive.sealed.keys()].sort()).toEqual(fresh);
  expect([...archive.sealed.values()].every((n) => n === 1)).toBe(true);
  expect(archive.calls.filter((c) => c.startsWith('mirrorMediaBatch'))).toHaveLength(2 * fresh.length);
}, 60_000);

test('a ticket Blip no longer has counts as failed; an archive already running is joined, not repeated', async () => {
  const all = ids(5);
  let release: () => void = () => undefined;
  const running = new Promise<void>((resolve) => {
    release = resolve;
  });
  const archive = fakeArchive({
    missing: new Set([all[2] as string]),
    gate: new Map([[all[4] as string, running]]),
  });
  const listing = fakeListing(all);
  const result = await wf.run({ ...archive.activities, ...listing }, async (taskQueue) => {
    // A webhook got to ticket 4 first: its archive is running under the id the backfill uses.
    const webhookRun = await wf.client.workflow.start('archiveTicket', {
      taskQueue,
      workflowId: archiveWorkflowId(TENANT, all[4] as string),
      args: [{ tenantId: TENANT, ticketId: all[4] }],
    });
    const backfill = await wf.client.workflow.start('backfillTenant', {
      taskQueue,
      workflowId: `backfill/${TENANT}/join`,
      args: [input({ pageSize: 10 })],
    });
    const result = (await backfill.result()) as BackfillProgress;
    release();
    await webhookRun.result();
    return result;
  });
  expect(result).toMatchObject({ listed: 5, started: 4, archived: 3, failed: 1, joined: 1, done: true });
  expect(archive.sealed.get(all[4] as string)).toBe(1);
  expect(archive.sealed.has(all[2] as string)).toBe(false);
  expect(archive.calls.filter((c) => c === `fetchTicket ${all[4]}`)).toHaveLength(1);
}, 60_000);
