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
