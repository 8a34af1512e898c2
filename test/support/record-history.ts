/**
 * Records the Temporal history of one real archive run as the replay fixture that
 * test/unit/workflow-replay.test.ts checks the workflow code against:
 *
 *   npx tsx test/support/record-history.ts
 *
 * Needs the local stack running (`npm run stack -- up`, or a jest run that left it up). Run it
 * again after a deliberate, versioned change to workflows/: the committed file is what running
 * workflows in production look like, and replaying it proves new code still drives them the same.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { startArchiveEnv } from './archive-env';
import { botAuthorization } from './blip-fixtures';

/** A LATAM fixture ticket with text, media (mirrored), location, contact and web links. */
const TICKET = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67';
const BOT = 'atendimentolatam';
export const HISTORY_FILE = path.resolve(__dirname, '../fixtures/histories/archive-ticket.json');

async function main(): Promise<void> {
  const env = await startArchiveEnv();
  try {
    const answer = await env.webhook(TICKET, botAuthorization(BOT));
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
    if (result.mediaStored === 0) throw new Error(`expected mirrored media, got ${JSON.stringify(result)}`);
    const history = await env.temporal.workflow.getHandle(workflowId).fetchHistory();
    fs.mkdirSync(path.dirname(HISTORY_FILE), { recursive: true });
    fs.writeFileSync(HISTORY_FILE, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 2)}\n`);
    console.log(
      `recorded ${history.events?.length ?? 0} events of ${workflowId} (${JSON.stringify(result)}) to ${path.relative(process.cwd(), HISTORY_FILE)}`,
    );
  } finally {
    await env.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
