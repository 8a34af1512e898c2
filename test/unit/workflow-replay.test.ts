import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { WORKFLOW } from '../../lib/temporal/contract';

/**
 * Replays recorded histories (test/support/record-history.ts) of every workflow type against the
 * current workflow code. A change that would make running workflows take a different path on
 * replay (activities or children added, removed or reordered without patching) fails here before
 * it ships.
 */

const HISTORIES_DIR = path.resolve(__dirname, '../fixtures/histories');

const HISTORY_FILE = path.resolve(__dirname, '../fixtures/histories/archive-ticket.json');
const history = historyFromJSON(JSON.parse(fs.readFileSync(HISTORY_FILE, 'utf8')));
// A ticket without media, recorded before runs skipped the mirror for it (`record-history.ts text-only`).
const TEXT_ONLY_FILE = path.resolve(__dirname, '../fixtures/histories/archive-ticket-text-only.json');
const textOnlyJson = JSON.parse(fs.readFileSync(TEXT_ONLY_FILE, 'utf8'));
const activityTypes = (history.events ?? [])
  .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
  .filter((name): name is string => Boolean(name));

test('the fixture is a completed archive that ran every activity', () => {
  const events = history.events ?? [];
  expect(events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name).toBe('archiveTicket');
  expect(events.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
  expect(activityTypes).toEqual([
    'fetchTicket',
    'fetchMessages',
    'mirrorMediaBatch',
    'sealTicket',
    'indexTicket',
  ]);
});

// The workflows as the worker bundles them, built once for every replay of the current code.
let current: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  current = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows') });
}, 60_000);

test('the current workflow code replays the recorded history', async () => {
  await expect(Worker.runReplayHistory({ workflowBundle: current }, history)).resolves.toBeUndefined();
}, 60_000);

test('a workflow that calls the activities in another order fails the replay', async () => {
  const replay = Worker.runReplayHistory(
    { workflowsPath: require.resolve('../support/workflows/archive-ticket-reordered') },
    history,
  );
  await expect(replay).rejects.toBeInstanceOf(DeterminismViolationError);
}, 60_000);

describe('runs from before the mirror was skipped for tickets without media', () => {
  const replay = (h: ReturnType<typeof historyFromJSON>) =>
    Worker.runReplayHistory({ workflowBundle: current }, h);

  test('a recorded run that called the mirror for a ticket without media still replays', async () => {
    const textOnly = historyFromJSON(textOnlyJson);
    expect(
      (textOnly.events ?? [])
        .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
        .filter(Boolean),
    ).toContain('mirrorMediaBatch');
    await expect(replay(textOnly)).resolves.toBeUndefined();
  }, 60_000);

  test('so does one whose message fetch already reported no pending media (workers upgraded mid-run)', async () => {
    // The new activity code answered fetchMessages, the old workflow code then called the mirror:
    // only the patch marker (absent here) keeps the replay on the path the history took.
    const mixed = structuredClone(textOnlyJson);
    let rewritten = 0;
    for (const event of mixed.events) {
      const payload = event.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
      if (!payload) continue;
      const value = JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'));
      if (!('messageCount' in value)) continue;
      payload.data = Buffer.from(JSON.stringify({ ...value, pendingMedia: 0 })).toString('base64');
      rewritten++;
    }
    expect(rewritten).toBe(1);
    await expect(replay(historyFromJSON(mixed))).resolves.toBeUndefined();
  }, 60_000);
});

describe('runs after the media-text patch (issue 18)', () => {
  const withChild = historyFromJSON(
    JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, 'archive-ticket-media-text.json'), 'utf8')),
  );

  test('start extractMediaText as an abandoned child on its own queue after indexing, and replay', async () => {
    const events = withChild.events ?? [];
    const child = events.find(
      (e) => e.startChildWorkflowExecutionInitiatedEventAttributes,
    )?.startChildWorkflowExecutionInitiatedEventAttributes;
    expect(child?.workflowType?.name).toBe('extractMediaText');
    expect(String(child?.parentClosePolicy)).toMatch(/ABANDON|2/);
    expect(child?.taskQueue?.name).toMatch(/-media-text$/);
    const lastActivity = events.map((e) => Boolean(e.activityTaskScheduledEventAttributes)).lastIndexOf(true);
    expect(events[lastActivity]?.activityTaskScheduledEventAttributes?.activityType?.name).toBe(
      'indexTicket',
    );
    expect(
      events.indexOf(events.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes) as never),
    ).toBeGreaterThan(lastActivity);
    expect(events.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
    await expect(Worker.runReplayHistory({ workflowBundle: current }, withChild)).resolves.toBeUndefined();
  }, 60_000);
});

/**
 * One recorded run (or more) of every other workflow type, along its interesting path: children,
 * continue-as-new, holds, a failed render (test/support/history-scenarios.ts).
 */
const RECORDED: Array<{ file: string; type: string; ends: string; activities: string[] }> = [
  {
    file: 'export-ticket-pdf.json',
    type: WORKFLOW.exportTicketPdf,
    ends: 'Completed',
    activities: ['renderExportPdf'],
  },
  {
    // A run since `fewer-archive-round-trips` (`record-history.ts combined`): fetch + messages and
    // seal + index in one activity each.
    file: 'archive-ticket-combined.json',
    type: WORKFLOW.archiveTicket,
    ends: 'Completed',
    activities: ['fetchTicketAndMessages', 'mirrorMediaBatch', 'sealAndIndexTicket'],
  },
  {
    file: 'export-contact-pdf-failed.json',
    type: WORKFLOW.exportContactPdf,
    ends: 'Failed',
    activities: ['renderExportPdf', 'markExportFailed'],
  },
  {
    file: 'backfill-tenant-first-run.json',
    type: WORKFLOW.backfillTenant,
    ends: 'ContinuedAsNew',
    activities: ['listClosedTicketsPage', 'listClosedTicketsPage'],
  },
  {
    file: 'backfill-tenant.json',
    type: WORKFLOW.backfillTenant,
    ends: 'Completed',
    activities: ['listClosedTicketsPage'],
  },
  {
    file: 'reindex-search.json',
    type: WORKFLOW.reindexSearch,
    ends: 'Completed',
    activities: [
      'reindexPrepare',
      'reindexBatch',
      'reindexBatch',
      'reindexBatch',
      'reindexSwap',
      'reindexBatch',
    ],
  },
  {
    file: 'apply-retention.json',
    type: WORKFLOW.applyRetention,
    ends: 'Completed',
    activities: ['purgeExpiredBatch', 'purgeExpiredBatch'],
  },
  {
    file: 'apply-retention-all.json',
    type: WORKFLOW.applyRetentionAll,
    ends: 'Completed',
    activities: ['listRetentionTenants'],
  },
  {
    file: 'erase-contact.json',
    type: WORKFLOW.eraseContact,
    ends: 'Completed',
    activities: ['eraseContactBatch', 'eraseContactBatch', 'finishErasure'],
  },
  {
    file: 'reseal-tickets.json',
    type: WORKFLOW.resealTickets,
    ends: 'Completed',
    activities: ['resealBatch', 'resealBatch'],
  },
  {
    file: 'extract-media-text.json',
    type: WORKFLOW.extractMediaText,
    ends: 'Completed',
    activities: ['extractMediaTextBatch', 'extractMediaTextBatch', 'indexMediaText'],
  },
];

const load = (file: string) =>
  historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));

test('every workflow type has a recorded history', () => {
  const recorded = new Set([
    'archiveTicket',
    ...RECORDED.map(
      (r) => load(r.file).events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name,
    ),
  ]);
  expect([...Object.values(WORKFLOW)].filter((type) => !recorded.has(type))).toEqual([]);
});

describe.each(RECORDED)('$file', ({ file, type, ends, activities }) => {
  const recorded = load(file);
  const events = recorded.events ?? [];

  test(`${type}: a run that ended ${ends} after the expected activities`, () => {
    expect(events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name).toBe(type);
    const last = events.at(-1) as Record<string, unknown>;
    expect(last[`workflowExecution${ends}EventAttributes`]).toBeTruthy();
    expect(
      events
        .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
        .filter((name): name is string => Boolean(name)),
    ).toEqual(activities);
  });

  test('the current workflow code replays it', async () => {
    await expect(Worker.runReplayHistory({ workflowBundle: current }, recorded)).resolves.toBeUndefined();
  }, 60_000);
});

test('a recorded erasure replayed against code that finishes before erasing fails', async () => {
  const reordered = await bundleWorkflowCode({
    workflowsPath: require.resolve('../support/workflows/erase-contact-reordered'),
  });
  await expect(
    Worker.runReplayHistory({ workflowBundle: reordered }, load('erase-contact.json')),
  ).rejects.toBeInstanceOf(DeterminismViolationError);
}, 60_000);
