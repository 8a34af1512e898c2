import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { provisionedPath, resolveBinary } from '../../infra/binaries';
import { encryptionKey } from '../../lib/config';
import { createSecretBox } from '../../lib/crypto';
import { upsertTenant } from '../../lib/db/tenants';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';

/**
 * docs/operations.md, step by step: an archive fails because the bot key was revoked; the
 * operator finds it by its search attributes, reads the failure, stores the new key, resets the
 * workflow with the Temporal CLI exactly as the runbook says, and the ticket gets archived.
 */

const run = promisify(execFile);
const LATAM = 'atendimentolatam';
let env: ArchiveEnv;
let temporalCli: string;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-runbook-'));

beforeAll(async () => {
  env = await startArchiveEnv();
  temporalCli = resolveBinary({
    service: 'temporal',
    envVar: 'TEMPORAL_BIN',
    envValue: process.env.TEMPORAL_BIN,
    pathNames: ['temporal'],
    fallbacks: [provisionedPath('temporal')],
    fix: 'npm run stack -- provision',
  }).path;
});
afterAll(async () => {
  await env?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

const temporal = async (...args: string[]) =>
  (
    await run(
      temporalCli,
      [...args, '--address', env.config.TEMPORAL_ADDRESS, '--namespace', env.config.TEMPORAL_NAMESPACE],
      { timeout: 60_000 },
    )
  ).stdout;

function addTicket(): string {
  const id = randomUUID();
  const customer = '5511933332222@wa.gw.msging.net';
  env.sim.addTicket({
    ticket: {
      id,
      sequentialId: 8100,
      ownerIdentity: `${LATAM}@msging.net`,
      customerIdentity: customer,
      status: 'ClosedAttendant',
      closed: true,
      storageDate: '2025-08-01T12:00:00.000Z',
      closeDate: '2025-08-01T12:20:00.000Z',
    },
    contact: { identity: customer, name: 'Runbook', phoneNumber: '+5511933332222' },
    messages: [
      {
        id: `rb-${id}-1`,
        direction: 'received',
        type: 'text/plain',
        content: 'preciso de ajuda',
        date: '2025-08-01T12:01:00.000Z',
      },
      {
        id: `rb-${id}-2`,
        direction: 'sent',
        type: 'text/plain',
        content: 'resolvido',
        date: '2025-08-01T12:10:00.000Z',
      },
    ],
  });
  return id;
}

test('revoked key → failed archive → new key stored → `temporal workflow reset` → archived', async () => {
  // The bot is a tenant already (its first webhook was accepted and archived).
  const first = await env.webhook(addTicket(), botAuthorization(LATAM));
  await env.result(first.body.workflowId as string);

  // The bot owner rotates the key in Blip; the Builder action still sends the old one.
  const newKey = env.sim.setBotKey(LATAM, 'bm92YS1jaGF2ZS0yMDI1');
  const ticketId = addTicket();
  const answer = await env.webhook(ticketId, botAuthorization(LATAM));
  expect(answer.statusCode).toBe(202);
  const workflowId = `archive/${LATAM}/${ticketId}`;
  expect(answer.body.workflowId).toBe(workflowId);
  const failure = await env.result(workflowId).catch((err) => err);
  expect(failure).toBeInstanceOf(WorkflowFailedError);

  // 1. Find it by its search attributes (visibility is eventually consistent: poll, bounded).
  let listed = '';
  for (let i = 0; i < 40 && !listed.includes(workflowId); i++) {
    listed = await temporal(
      'workflow',
      'list',
      '--query',
      `TenantId = '${LATAM}' AND TicketId = '${ticketId}'`,
    );
    if (!listed.includes(workflowId)) await new Promise((r) => setTimeout(r, 250));
  }
  expect(listed).toContain(workflowId);
  expect(listed).toMatch(/Failed/i);

  // 2. Read why: the failure names the cause, and the memo says what the run is.
  const described = await temporal('workflow', 'describe', '--workflow-id', workflowId, '--output', 'json');
  expect(described).toContain('BlipAuthError');
  expect(described).toContain(`archive ticket ${ticketId} of bot ${LATAM}`);
  expect(described).not.toContain(botAuthorization(LATAM).slice(4));

  // 3. Fix the cause (store the new key), then reset as the runbook says.
  await upsertTenant(env.db, createSecretBox(encryptionKey(env.config).key), {
    tenantId: LATAM,
    botIdentity: `${LATAM}@msging.net`,
    authorization: newKey,
  });
  await temporal(
    'workflow',
    'reset',
    '--workflow-id',
    workflowId,
    '--type',
    'FirstWorkflowTask',
    '--reason',
    'bot key replaced',
  );

  // The handle follows the reset to the new run.
  const result = await env.result(workflowId);
  expect(result.messageCount).toBe(2);
  const { rows } = await env.db.query(
    'select archived_at, digest from tickets where tenant_id = $1 and ticket_id = $2',
    [LATAM, ticketId],
  );
  expect(rows[0].archived_at).toBeInstanceOf(Date);
  expect(rows[0].digest).toBe(result.digest);

  // 4. Replay the downloaded history against the current code, as the runbook says.
  const historyFile = path.join(work, 'history.json');
  fs.writeFileSync(
    historyFile,
    await temporal('workflow', 'show', '--workflow-id', workflowId, '--output', 'json'),
  );
  const replay = await run(
    process.execPath,
    [path.resolve(__dirname, '../../cli/bin.js'), 'replay', historyFile],
    {
      timeout: 120_000,
    },
  );
  expect(replay.stdout).toContain('deterministic');
});
