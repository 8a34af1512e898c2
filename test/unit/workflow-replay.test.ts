import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';

/**
 * Replays the recorded history of a real archive run (test/support/record-history.ts) against the
 * current workflow code. A change that would make running archives take a different path on
 * replay (activities added, removed or reordered without patching) fails here before it ships.
 */

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

test('the current workflow code replays the recorded history', async () => {
  await expect(
    Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, history),
  ).resolves.toBeUndefined();
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
    Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, h);

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
