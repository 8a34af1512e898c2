/**
 * Records the Temporal history of one real archive run as the replay fixture that
 * test/unit/workflow-replay.test.ts checks the workflow code against:
 *
 *   npx tsx test/support/record-history.ts             # fixture ticket with media
 *   npx tsx test/support/record-history.ts text-only   # generated ticket without media
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
import { addClosedTicket, textMessages } from './generated-tickets';

/** A LATAM fixture ticket with text, media (mirrored), location, contact and web links. */
const TICKET = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67';
const BOT = 'atendimentolatam';
export const HISTORY_FILE = path.resolve(__dirname, '../fixtures/histories/archive-ticket.json');
export const TEXT_ONLY_HISTORY_FILE = path.resolve(
  __dirname,
  '../fixtures/histories/archive-ticket-text-only.json',
);

async function main(): Promise<void> {
  const textOnly = process.argv[2] === 'text-only';
  const file = textOnly ? TEXT_ONLY_HISTORY_FILE : HISTORY_FILE;
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
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 2)}\n`);
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
