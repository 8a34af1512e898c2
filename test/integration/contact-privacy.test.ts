import { randomUUID } from 'node:crypto';
import { createRetentionActivities } from '../../activities/retention';
import { startErasure } from '../../cli/commands/erase';
import { placeHold, releaseHold } from '../../cli/commands/hold';
import { sealLegacyExportTargets } from '../../lib/db/export-targets';
import { createLogger } from '../../lib/logger';
import { identityFingerprint } from '../../lib/retention/erasure-hash';
import { readErasureIdentity } from '../../lib/retention/erasure-requests';
import { exportWorkflowId, WORKFLOW } from '../../lib/temporal/contract';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import type { EraseContactResult } from '../../workflows/retention';
import { addClosedTicket, textMessages } from '../support/generated-tickets';
import { exportToEnd, SAME_ORIGIN, sessionApi } from '../support/session-api';

/**
 * The contact identity (a phone number) is personal data: it must not stay in clear where an
 * erasure cannot reach it — the audit log, the API's request log, Temporal's workflow history.
 * An attacker (or an auditor) with the log or Temporal's UI greps for the number.
 */

let env: ArchiveEnv;
let cookie: string;
const LATAM = 'atendimentolatam';
const logLines: string[] = [];
const api = sessionApi(
  () => env.app,
  () => cookie,
);
const ctx = () => ({
  db: env.db,
  box: env.box,
  temporal: env.temporal,
  taskQueue: env.config.TEMPORAL_TASK_QUEUE,
});
const customer = () => `55119${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}@wa.gw.msging.net`;
/** The part anyone would search for: the phone number. */
const phoneOf = (identity: string) => identity.split('@')[0] as string;

async function archiveTicket(identity: string): Promise<string> {
  const start = Date.now() - 86_400_000;
  const id = addClosedTicket(env.sim, {
    bot: LATAM,
    start,
    customer: identity,
    contactName: 'Cliente Privacidade',
    messages: (ticketId) =>
      textMessages(`priv-${ticketId}`, 2, start, (i) => ['oi', 'tudo bem'][i] as string),
  });
  const answer = await env.webhook(id, botAuthorization(LATAM));
  expect(answer.statusCode).toBe(202);
  await env.result(answer.body.workflowId as string);
  return id;
}

/** Every byte string in a decoded Temporal history (payloads are JSON bytes), as text. */
function bytesIn(value: unknown, out: string[] = []): string[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) bytesIn(v, out);
  return out;
}

const contact = customer();
const legacyContact = customer();
const exportContact = customer();
const legacyExportContact = customer();

beforeAll(async () => {
  env = await startArchiveEnv({
    logger: createLogger('info', 'test', { write: (line: string) => void logLines.push(line) }),
  });
  await archiveTicket(contact);
  await archiveTicket(legacyContact);
  await archiveTicket(exportContact);
  await archiveTicket(legacyExportContact);
  const login = await env.app.inject({
    method: 'POST',
    url: '/v1/session',
    headers: { 'content-type': 'application/json', ...SAME_ORIGIN },
    payload: JSON.stringify({ auth: botAuthorization(LATAM), user: 'dpo@loja.example' }),
  });
  expect(login.statusCode).toBeLessThan(300);
  cookie = String(login.headers['set-cookie']).split(';')[0] as string;
});
afterAll(async () => {
  await env?.close();
});

test('holds, contact exports and contact views name the contact in the audit log by its keyed fingerprint only', async () => {
  await placeHold(ctx(), {
    tenantId: LATAM,
    kind: 'contact',
    target: contact,
    reason: 'litigio',
    createdBy: 'juridico@loja.example',
  });
  const { state } = await exportToEnd(api, `/v1/contacts/${encodeURIComponent(contact)}/exports`, {});
  expect(state).toMatchObject({ status: 'done' });
  expect((await api('GET', `/v1/contacts/${encodeURIComponent(contact)}/tickets`)).statusCode).toBe(200);
  await releaseHold(ctx(), { tenantId: LATAM, kind: 'contact', target: contact, releasedBy: 'juridico' });

  const { rows } = await env.db.query<{ action: string; target: string }>(
    'select action, target, actor, details from audit_log where tenant_id = $1 order by id',
    [LATAM],
  );
  const fingerprint = `contact:${identityFingerprint(env.box, LATAM, contact)}`;
  const byAction = (a: string) => rows.filter((r) => r.action === a).map((r) => r.target);
  for (const action of ['hold.place', 'hold.release', 'export.request', 'export.done', 'export.download'])
    expect(byAction(action)).toEqual([fingerprint]);
  expect(byAction('contact.view')).toEqual([fingerprint]);
  expect(JSON.stringify(rows)).not.toContain(phoneOf(contact));
});

test('the request log of /v1/contacts/<identity>/… does not contain the identity', async () => {
  logLines.length = 0;
  const res = await api('GET', `/v1/contacts/${encodeURIComponent(contact)}/tickets`);
  expect(res.statusCode).toBe(200);
  await env.app.inject({ method: 'GET', url: `/v1/contacts/${contact}/tickets?x=1` }); // unsigned, raw '@'
  const requestLines = logLines.filter((l) => (JSON.parse(l) as { reqId?: string }).reqId !== undefined);
  // The request was logged, with its route still readable…
  expect(requestLines.some((l) => l.includes('/v1/contacts/[contact]/tickets'))).toBe(true);
  // …and without the number, encoded or not.
  for (const line of requestLines) {
    expect(line).not.toContain(phoneOf(contact));
    expect(line).not.toContain(encodeURIComponent(contact));
  }
});

test("an erasure's workflow history does not contain the identity; its request is sealed while it runs and forgets the contact when done", async () => {
  const { workflowId, result } = await startErasure(ctx(), {
    tenantId: LATAM,
    identity: contact,
    requestedBy: 'dpo@loja.example',
    wait: true,
  });
  expect(result).toMatchObject<Partial<EraseContactResult>>({ tickets: 1, messages: 2, contactHeld: false });
  const history = await env.temporal.workflow.getHandle(workflowId).fetchHistory();
  const text = bytesIn(history).join('\n');
  expect(text).toContain('dpo@loja.example'); // the payloads were read
  expect(text).not.toContain(phoneOf(contact));
  // Finished: the request proves the erasure (keyed fingerprint, time, counts), not whom it erased.
  const { rows } = await env.db.query(
    'select request_id, identity_sealed, contact_hash, completed_at, outcome from erasure_requests where tenant_id = $1',
    [LATAM],
  );
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({
    identity_sealed: null,
    contact_hash: identityFingerprint(env.box, LATAM, contact),
    completed_at: expect.any(Date),
    outcome: expect.objectContaining({ tickets: 1, messages: 2, contactHeld: false }),
  });
  // Even with the key, nothing left opens to the contact.
  const requestId = rows[0]?.request_id as string;
  await expect(readErasureIdentity(env.db, env.box, LATAM, requestId)).rejects.toThrow(/finished/);

  // A retried finishErasure (its first answer lost) answers from the stored outcome, not a failure.
  const activities = createRetentionActivities({
    db: env.db,
    store: env.store,
    search: env.search,
    collections: env.collections,
    box: env.box,
  });
  const [workflowRun] = (
    await env.db.query<{ run: string }>(
      `select details->>'workflowRun' as run from audit_log where tenant_id = $1 and action = 'contact.erase'`,
      [LATAM],
    )
  ).rows.map((r) => r.run);
  await expect(
    activities.finishErasure({
      tenantId: LATAM,
      requestId,
      requestedBy: 'dpo@loja.example',
      workflowRun: workflowRun as string,
      totals: { tickets: 1, messages: 2, media: 0, objects: 0, exports: 0 },
      heldTicketIds: [],
    }),
  ).resolves.toMatchObject({ contactHeld: false });

  // Run again by its request id: opened, erased (nothing left), closed again.
  const again = await startErasure(ctx(), {
    tenantId: LATAM,
    identity: contact,
    requestedBy: 'dpo@loja.example',
    requestId,
    wait: true,
  });
  expect(again.result).toMatchObject({ tickets: 0, contactHeld: false });
  const after = await env.db.query(
    'select identity_sealed, completed_at from erasure_requests where request_id = $1',
    [requestId],
  );
  expect(after.rows).toEqual([{ identity_sealed: null, completed_at: expect.any(Date) }]);
  // Another contact under the same request id is refused.
  await expect(
    startErasure(ctx(), { tenantId: LATAM, identity: customer(), requestedBy: 'x', requestId }),
  ).rejects.toThrow(/another contact/);
});

test('an erasure started before requests were stored (identity in its input) still erases', async () => {
  const handle = await env.temporal.workflow.start(WORKFLOW.eraseContact, {
    taskQueue: env.config.TEMPORAL_TASK_QUEUE,
    workflowId: `erase-legacy-${Date.now()}`,
    args: [{ tenantId: LATAM, identity: legacyContact, requestedBy: 'dpo@loja.example' }],
  });
  expect(await handle.result()).toMatchObject({ tickets: 1, messages: 2, contactHeld: false });
  const { rows } = await env.db.query(
    `select 1 from tickets where tenant_id = $1 and customer_identity = $2`,
    [LATAM, legacyContact],
  );
  expect(rows).toHaveLength(0);
});

/** The export's row, every column, as the text an operator (or a database dump) would read. */
async function exportRowText(exportId: string): Promise<string | null> {
  const { rows } = await env.db.query<{ row: unknown; sealed: Buffer | null }>(
    'select to_jsonb(e) as row, e.target_sealed as sealed from exports e where export_id = $1',
    [exportId],
  );
  if (!rows[0]) return null;
  return `${JSON.stringify(rows[0].row)}\n${rows[0].sealed?.toString('utf8') ?? ''}`;
}

test("a contact export's workflow input and its exports row hold no identity; the PDF still prints it, erasure still finds it", async () => {
  const { exportId, state } = await exportToEnd(
    api,
    `/v1/contacts/${encodeURIComponent(exportContact)}/exports`,
    {},
  );
  expect(state).toMatchObject({ status: 'done', url: expect.any(String) });
  const history = await env.temporal.workflow.getHandle(exportWorkflowId(LATAM, exportId)).fetchHistory();
  const text = bytesIn(history).join('\n');
  expect(text).toContain(exportId); // the payloads were read
  expect(text).not.toContain(phoneOf(exportContact));
  const row = await exportRowText(exportId);
  expect(row).toContain(identityFingerprint(env.box, LATAM, exportContact));
  expect(row).not.toContain(phoneOf(exportContact));
  // The PDF printed the contact's ticket: the sealed identity opened for the render.
  expect(
    (await env.db.query('select message_count from exports where export_id = $1', [exportId])).rows,
  ).toEqual([{ message_count: 2 }]);

  const { result } = await startErasure(ctx(), {
    tenantId: LATAM,
    identity: exportContact,
    requestedBy: 'dpo@loja.example',
    wait: true,
  });
  expect(result).toMatchObject({ tickets: 1, contactHeld: false });
  expect(await exportRowText(exportId)).toBeNull();
  expect(await env.store.head(`${LATAM}/exports/${exportId}.pdf`)).toBeFalsy();
});

test('a contact export started before migration 015 (identity in its input and row) still renders, is rewritten without the identity, downloads and is erased', async () => {
  // As the API wrote it before: the identity in exports.target and in the workflow input.
  const exportId = randomUUID();
  await env.db.query(
    `insert into exports (export_id, tenant_id, kind, target, requested_by, status)
     values ($1, $2, 'contact', $3, 'dpo@loja.example', 'running')`,
    [exportId, LATAM, legacyExportContact],
  );
  const handle = await env.temporal.workflow.start(WORKFLOW.exportContactPdf, {
    taskQueue: env.config.TEMPORAL_TASK_QUEUE,
    workflowId: exportWorkflowId(LATAM, exportId),
    args: [{ exportId, tenantId: LATAM, identity: legacyExportContact, requestedBy: 'dpo@loja.example' }],
  });
  expect(await handle.result()).toMatchObject({ exportId, messageCount: 2 });
  expect(await exportRowText(exportId)).toContain(phoneOf(legacyExportContact));

  // Every process runs this right after migrating (lib/clients.ts).
  expect(await sealLegacyExportTargets(env.db, env.box)).toBeGreaterThanOrEqual(1);
  expect(await sealLegacyExportTargets(env.db, env.box)).toBe(0);
  const row = await exportRowText(exportId);
  expect(row).not.toContain(phoneOf(legacyExportContact));
  expect(row).toContain(identityFingerprint(env.box, LATAM, legacyExportContact));

  const download = await api('GET', `/v1/exports/${exportId}`);
  expect(download.statusCode).toBe(200);
  expect(download.body).toMatchObject({ status: 'done', url: expect.any(String) });

  await startErasure(ctx(), {
    tenantId: LATAM,
    identity: legacyExportContact,
    requestedBy: 'dpo@loja.example',
    wait: true,
  });
  expect(await exportRowText(exportId)).toBeNull();
  expect(await env.store.head(`${LATAM}/exports/${exportId}.pdf`)).toBeFalsy();
});
