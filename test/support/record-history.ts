/**
 * Records Temporal histories as the replay fixtures that test/unit/workflow-replay.test.ts checks
 * the workflow code against:
 *
 *   npx tsx test/support/record-history.ts             # archiveTicket: fixture ticket with media
 *   npx tsx test/support/record-history.ts text-only   # archiveTicket: generated ticket without media
 *   npx tsx test/support/record-history.ts combined    # archiveTicket: fixture ticket, current code
 *
 * archive-ticket.json and archive-ticket-text-only.json were recorded before the patches
 * `skip-mirror-without-media` and `fewer-archive-round-trips` and must stay so (they are what
 * runs started before them look like); `combined` records a run of the current code to its own file.
 *   npx tsx test/support/record-history.ts <scenario>  # another workflow type (history-scenarios.ts)
 *   npx tsx test/support/record-history.ts scenarios   # all of those
 *
 * archiveTicket runs end to end (simulator, Postgres, GCS, Typesense); the other types run on the
 * dev server with in-memory activities (fake-activities.ts), the path through the workflow being
 * what a history fixes. Needs the local stack running (`npm run stack -- up`, or a jest run that left it up). Run it
 * again after a deliberate, versioned change to workflows/: the committed file is what running
 * workflows in production look like, and replaying it proves new code still drives them the same.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection, Worker } from '@temporalio/worker';
import { repoRoot } from '../../infra/paths';
import { startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import { uniqueSuffix } from '../../tools/harness/stack-env';
import { addClosedTicket, textMessages } from './generated-tickets';
import { HISTORY_SCENARIOS, type HistoryScenario, historyFile } from './history-scenarios';

/** A LATAM fixture ticket with text, media (mirrored), location, contact and web links. */
const TICKET = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67';
const BOT = 'atendimentolatam';
export const HISTORY_FILE = path.resolve(__dirname, '../fixtures/histories/archive-ticket.json');
export const COMBINED_HISTORY_FILE = path.resolve(
  __dirname,
  '../fixtures/histories/archive-ticket-combined.json',
);
export const TEXT_ONLY_HISTORY_FILE = path.resolve(
  __dirname,
  '../fixtures/histories/archive-ticket-text-only.json',
);

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

function writeHistory(file: string, history: History): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Failure stack traces name files by absolute path: keep them relative, so the fixture does not
  // point at this machine (test/unit/stands-alone.test.ts).
  const json = JSON.stringify(JSON.parse(historyToJSON(history)), null, 2).replaceAll(`${repoRoot}/`, '');
  fs.writeFileSync(file, `${json}\n`);
  // In the layout `npm run lint` checks, so a re-recorded fixture needs no separate formatting.
  execFileSync(path.join(repoRoot, 'node_modules/.bin/biome'), ['format', '--write', file], {
    stdio: 'ignore',
  });
}

const ENDINGS = {
  completed: 'workflowExecutionCompletedEventAttributes',
  failed: 'workflowExecutionFailedEventAttributes',
  'continued-as-new': 'workflowExecutionContinuedAsNewEventAttributes',
} as const;

/** Runs one scenario on the stack's Temporal with its fake activities and writes the runs asked for. */
async function recordScenario(scenario: HistoryScenario): Promise<void> {
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const connection = await Connection.connect({ address });
  const native = await NativeConnection.connect({ address });
  try {
    const client = new Client({ connection });
    const taskQueue = `record-${scenario.name}-${uniqueSuffix()}`;
    const worker = await Worker.create({
      connection: native,
      taskQueue,
      workflowsPath: require.resolve('../../workflows'),
      activities: scenario.activities(),
    });
    const handle = await worker.runUntil(async () => {
      const handle = await client.workflow.start(scenario.workflowType, {
        taskQueue,
        workflowId: scenario.workflowId,
        args: scenario.args,
      });
      await handle.result().catch((err: Error) => {
        if (scenario.ends !== 'failed') throw err;
      });
      return handle;
    });
    // Walk the continue-as-new chain from the first run.
    const runs: History[] = [];
    let runId: string | undefined = handle.firstExecutionRunId;
    while (runId) {
      const history = await client.workflow.getHandle(scenario.workflowId, runId).fetchHistory();
      runs.push(history);
      runId =
        history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ??
        undefined;
    }
    for (const which of scenario.runs) {
      const history = (which === 'first' ? runs[0] : runs.at(-1)) as History;
      const ending = which === 'first' && runs.length > 1 ? 'continued-as-new' : scenario.ends;
      if (!history.events?.at(-1)?.[ENDINGS[ending]])
        throw new Error(`${scenario.name}: the ${which} run did not end ${ending}`);
      const file = historyFile(scenario.name, which);
      writeHistory(file, history);
      console.log(
        `recorded ${history.events?.length ?? 0} events of ${scenario.workflowType} (${which} of ${runs.length} runs, ${ending}) to ${path.relative(process.cwd(), file)}`,
      );
    }
  } finally {
    await native.close();
    await connection.close();
  }
}

async function main(): Promise<void> {
  const wanted = process.argv[2];
  if (wanted === 'scenarios') {
    for (const scenario of HISTORY_SCENARIOS) await recordScenario(scenario);
    return;
  }
  const scenario = HISTORY_SCENARIOS.find((s) => s.name === wanted);
  if (scenario) return recordScenario(scenario);
  if (wanted && wanted !== 'text-only' && wanted !== 'combined')
    throw new Error(
      `unknown history ${wanted}: archive (no argument), text-only, combined, scenarios or one of ${HISTORY_SCENARIOS.map((s) => s.name).join(', ')}`,
    );
  const textOnly = wanted === 'text-only';
  const file = textOnly
    ? TEXT_ONLY_HISTORY_FILE
    : wanted === 'combined'
      ? COMBINED_HISTORY_FILE
      : HISTORY_FILE;
  const env = await startArchiveEnv();
  try {
    const start = Date.parse('2025-06-02T09:00:00.000Z');
    const ticket = textOnly
      ? addClosedTicket(env.sim, {
          id: '7e57a0b1-0000-4000-8000-000000000001',
          bot: BOT,
          start,
          sequentialId: 7100,
          contactName: 'Cliente Texto',
          messages: () => textMessages('text-only', 4, start),
        })
      : TICKET;
    const answer = await env.webhook(ticket, botAuthorization(BOT));
    if (answer.statusCode !== 202 || answer.body.status !== 'started') {
      throw new Error(`webhook answered ${answer.statusCode} ${JSON.stringify(answer.body)}`);
    }
    const workflowId = String(answer.body.workflowId);
    const result = await Promise.race([
      env.result(workflowId),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`${workflowId} did not finish within 2 minutes`)), 120_000).unref(),
      ),
    ]);
    if ((result.mediaStored === 0) !== textOnly)
      throw new Error(`expected ${textOnly ? 'no' : 'mirrored'} media, got ${JSON.stringify(result)}`);
    const history = await env.temporal.workflow.getHandle(workflowId).fetchHistory();
    writeHistory(file, history);
    console.log(
      `recorded ${history.events?.length ?? 0} events of ${workflowId} (${JSON.stringify(result)}) to ${path.relative(process.cwd(), file)}`,
    );
  } finally {
    await env.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
