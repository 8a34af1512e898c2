import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { Readable } from 'node:stream';
import pg from 'pg';
import { appendSeal, envelopeOf, parseSealDocument, sealObjectKey, sealsOfTicket } from '../../lib/db/seals';
import { jcs } from '../../lib/integrity/jcs';
import { createSealKeyProvider } from '../../lib/integrity/key-provider';
import { envelopeBytes, sealRoot } from '../../lib/integrity/seal-v2';
import { type VerifyProblem, verifyTicket } from '../../lib/integrity/verify';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import { cliFor } from '../support/cli-harness';

/**
 * Seal v2 against an attacker with write access to Postgres or the bucket: each change below is
 * made directly in the stores after archiving, and `verify` must answer not ok and name what
 * differs. Every test restores what it changed and checks the ticket verifies again.
 */

let env: ArchiveEnv;
const LATAM = 'atendimentolatam';
const CLINICA = 'clinicavidasana';
const LATAM_TICKETS = [
  'b598352e-77f5-546c-a017-5ec108ed50ba',
  'e3b7acca-a3f2-537a-a08c-b490a42bcf67',
  '1d91807c-ee64-51bd-9310-963620a44bca',
];
const CLINICA_TICKET = 'ec76db3c-68c3-513c-9d01-a54ee7ba0146';
const MEDIA_TICKET = '1d91807c-ee64-51bd-9310-963620a44bca';
const TICKET = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67';
let keys: ReturnType<typeof createSealKeyProvider>;

beforeAll(async () => {
  env = await startArchiveEnv();
  keys = createSealKeyProvider(env.config, env.db);
  const answers = await Promise.all([
    ...LATAM_TICKETS.map((id) => env.webhook(id, botAuthorization(LATAM))),
    env.webhook(CLINICA_TICKET, botAuthorization(CLINICA)),
  ]);
  for (const a of answers) await env.result(a.body.workflowId as string);
}, 600_000);
afterAll(async () => {
  await env?.close();
});

const verify = async (ticketId: string, tenantId = LATAM) => {
  const r = await verifyTicket(env.db, env.store, tenantId, ticketId, keys);
  if (!r) throw new Error(`ticket ${ticketId} not archived`);
  return r;
};
const fields = (problems: VerifyProblem[]) =>
  problems.map((p) => `${p.messageId ?? 'ticket'}:${p.field ?? p.kind}`);

/** As a database superuser would: with triggers off for this session (seals are otherwise append-only). */
async function asSuperuser(sql: string, params: unknown[]): Promise<void> {
  const client = new pg.Client({ connectionString: env.config.DATABASE_URL });
  await client.connect();
  try {
    await client.query('set session_replication_role = replica');
    await client.query(sql, params);
  } finally {
    await client.end();
  }
}

async function message(ticketId: string, where = 'true') {
  const { rows } = await env.db.query(
    `select m.message_id, m.position, m.text, m.sender, m.sent_at from messages m
      where m.tenant_id = $1 and m.ticket_id = $2 and m.text <> '' and ${where}
        and not exists (select 1 from media a where a.tenant_id = m.tenant_id and a.ticket_id = m.ticket_id and a.message_id = m.message_id)
      order by m.position limit 1`,
    [LATAM, ticketId],
  );
  if (!rows[0]) throw new Error('no suitable message');
  return rows[0] as {
    message_id: string;
    position: number;
    text: string;
    sender: string | null;
    sent_at: Date;
  };
}

test('every archived ticket is sealed v2: verify ok, signature checks with the published key, root recomputes from the data', async () => {
  const r = await verify(TICKET);
  expect(r).toMatchObject({ ok: true, version: 2, problems: [] });
  expect(r.digest).toBe(r.sealedDigest);

  const [seal] = await sealsOfTicket(env.db, LATAM, TICKET);
  if (!seal?.data) throw new Error('no seal');
  // A third party: the published key, the envelope's RFC 8785 bytes, the data's leaves and salts.
  const published = await env.app.inject({ method: 'GET', url: '/.well-known/ticket-vault-keys' });
  expect(published.statusCode).toBe(200);
  const key = published.json().keys.find((k: { keyId: string }) => k.keyId === seal.keyId);
  expect(key).toMatchObject({ status: 'current', algorithm: 'Ed25519' });
  const bytes = envelopeBytes(envelopeOf(seal));
  expect(
    verifySignature(null, bytes, createPublicKey(key.publicKeyPem), Buffer.from(seal.signature, 'base64')),
  ).toBe(true);
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(seal.sealHash);
  const doc = parseSealDocument(seal.data);
  expect(sealRoot(doc, doc.salts)).toBe(seal.root);
  expect(doc.header).toMatchObject({ tenantId: LATAM, ticketId: TICKET, version: 2 });

  // The object-store copy carries the same signed envelope.
  const chunks: Buffer[] = [];
  for await (const c of env.store.get(sealObjectKey(LATAM, TICKET, seal.sealId))) chunks.push(c as Buffer);
  const copy = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  expect(jcs(copy.envelope)).toBe(jcs(envelopeOf(seal)));

  // The API route answers the same, with the problems as objects.
  const login = await env.app.inject({
    method: 'POST',
    url: '/v1/session',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ auth: botAuthorization(LATAM), user: 'auditora@loja.example' }),
  });
  const cookie = String(login.headers['set-cookie']).split(';')[0] as string;
  const api = await env.app.inject({
    method: 'GET',
    url: `/v1/tickets/${TICKET}/verify`,
    headers: { cookie },
  });
  expect(api.json()).toMatchObject({ ok: true, version: 2, sealId: seal.sealId, problems: [] });
});

test('the seals table refuses update and delete, even by the application', async () => {
  await expect(env.db.query('delete from seals where tenant_id = $1', [LATAM])).rejects.toThrow(
    /append-only/,
  );
  await expect(
    env.db.query(`update seals set root = repeat('0', 64) where tenant_id = $1`, [LATAM]),
  ).rejects.toThrow(/append-only/);
  await expect(env.db.query('truncate seals')).rejects.toThrow(/append-only/);
  expect((await verify(TICKET)).ok).toBe(true);
});

describe('a change made directly in Postgres or storage is caught and named', () => {
  afterEach(async () => {
    // Whatever a test changed, it put back: the archive verifies again.
    for (const id of LATAM_TICKETS) expect((await verify(id)).problems).toEqual([]);
  });

  test("a message's text", async () => {
    const m = await message(TICKET);
    await env.db.query('update messages set text = $3 where tenant_id = $1 and message_id = $2', [
      LATAM,
      m.message_id,
      'paid in full',
    ]);
    const r = await verify(TICKET);
    await env.db.query('update messages set text = $3 where tenant_id = $1 and message_id = $2', [
      LATAM,
      m.message_id,
      m.text,
    ]);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          messageId: m.message_id,
          field: 'text',
          source: 'seal',
          found: 'paid in full',
        }),
        expect.objectContaining({ messageId: m.message_id, field: 'text', source: 'raw' }),
      ]),
    );
  });

  test("a message's sender", async () => {
    const m = await message(TICKET, 'm.sender is not null');
    await env.db.query('update messages set sender = $3 where tenant_id = $1 and message_id = $2', [
      LATAM,
      m.message_id,
      'someone-else@wa.gw.msging.net',
    ]);
    const r = await verify(TICKET);
    await env.db.query('update messages set sender = $3 where tenant_id = $1 and message_id = $2', [
      LATAM,
      m.message_id,
      m.sender,
    ]);
    expect(r.ok).toBe(false);
    expect(fields(r.problems)).toContain(`${m.message_id}:sender`);
  });

  test("a message's time", async () => {
    const m = await message(TICKET, 'm.sent_at is not null');
    await env.db.query(
      `update messages set sent_at = sent_at - interval '1 day' where tenant_id = $1 and message_id = $2`,
      [LATAM, m.message_id],
    );
    const r = await verify(TICKET);
    await env.db.query('update messages set sent_at = $3 where tenant_id = $1 and message_id = $2', [
      LATAM,
      m.message_id,
      m.sent_at,
    ]);
    expect(r.ok).toBe(false);
    expect(fields(r.problems)).toContain(`${m.message_id}:sentAt`);
  });

  test("a ticket's contact name", async () => {
    const { rows } = await env.db.query(
      'select contact_name from tickets where tenant_id = $1 and ticket_id = $2',
      [LATAM, TICKET],
    );
    await env.db.query('update tickets set contact_name = $3 where tenant_id = $1 and ticket_id = $2', [
      LATAM,
      TICKET,
      'Someone Else',
    ]);
    const r = await verify(TICKET);
    await env.db.query('update tickets set contact_name = $3 where tenant_id = $1 and ticket_id = $2', [
      LATAM,
      TICKET,
      rows[0].contact_name,
    ]);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'ticket.contactName', source: 'seal', found: 'Someone Else' }),
      ]),
    );
  });

  test("a ticket's closed-at", async () => {
    const { rows } = await env.db.query(
      'select close_date from tickets where tenant_id = $1 and ticket_id = $2',
      [LATAM, TICKET],
    );
    await env.db.query(
      `update tickets set close_date = close_date + interval '3 days' where tenant_id = $1 and ticket_id = $2`,
      [LATAM, TICKET],
    );
    const r = await verify(TICKET);
    await env.db.query('update tickets set close_date = $3 where tenant_id = $1 and ticket_id = $2', [
      LATAM,
      TICKET,
      rows[0].close_date,
    ]);
    expect(r.ok).toBe(false);
    expect(fields(r.problems)).toContain('ticket:ticket.closedAt');
  });

  test("a media object's bytes", async () => {
    const { rows } = await env.db.query<{
      message_id: string;
      ordinal: number;
      storage_key: string;
      content_type: string;
    }>(
      "select message_id, ordinal, storage_key, content_type from media where tenant_id = $1 and ticket_id = $2 and status = 'stored' limit 1",
      [LATAM, MEDIA_TICKET],
    );
    const a = rows[0];
    if (!a) throw new Error('no stored media');
    const original: Buffer[] = [];
    for await (const c of env.store.get(a.storage_key)) original.push(c as Buffer);
    await env.store.put(a.storage_key, Readable.from([Buffer.from('not the original bytes')]), {
      contentType: a.content_type,
    });
    const r = await verify(MEDIA_TICKET);
    await env.store.put(a.storage_key, Readable.from([Buffer.concat(original)]), {
      contentType: a.content_type,
    });
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          messageId: a.message_id,
          ordinal: a.ordinal,
          field: `media[${a.ordinal}].sha256`,
          source: 'storage',
        }),
      ]),
    );
  });

  test('a deleted message', async () => {
    const m = await message(TICKET);
    const { rows } = await env.db.query('select * from messages where tenant_id = $1 and message_id = $2', [
      LATAM,
      m.message_id,
    ]);
    await env.db.query('delete from messages where tenant_id = $1 and message_id = $2', [
      LATAM,
      m.message_id,
    ]);
    const r = await verify(TICKET);
    const row = rows[0];
    const cols = Object.keys(row);
    await env.db.query(
      `insert into messages (${cols.join(',')}) values (${cols.map((_, i) => `$${i + 1}`).join(',')})`,
      cols.map((c) =>
        c === 'content' || c === 'reason' || c === 'metadata' ? JSON.stringify(row[c]) : row[c],
      ),
    );
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'message', messageId: m.message_id, found: 'missing' }),
      ]),
    );
  });

  test('two swapped positions', async () => {
    const { rows } = await env.db.query<{ message_id: string; position: number }>(
      'select message_id, position from messages where tenant_id = $1 and ticket_id = $2 and position in (2, 3) order by position',
      [LATAM, TICKET],
    );
    const swap = () =>
      env.db.query(
        `update messages set position = case position when 2 then 3 else 2 end
          where tenant_id = $1 and ticket_id = $2 and position in (2, 3)`,
        [LATAM, TICKET],
      );
    await swap();
    const r = await verify(TICKET);
    await swap();
    expect(r.ok).toBe(false);
    expect(fields(r.problems)).toEqual(
      expect.arrayContaining([`${rows[0]?.message_id}:position`, `${rows[1]?.message_id}:position`]),
    );
  });

  test('a deleted seal row breaks the chain (and the object-store copy names it)', async () => {
    const { rows: chain } = await env.db.query<{ ticket_id: string }>(
      'select ticket_id from seals where tenant_id = $1 and seq in (1, 2) order by seq',
      [LATAM],
    );
    const [firstTicket, secondTicket] = chain.map((r) => r.ticket_id) as [string, string];
    const [first] = await sealsOfTicket(env.db, LATAM, firstTicket);
    const [second] = await sealsOfTicket(env.db, LATAM, secondTicket);
    if (!first || !second) throw new Error('not sealed');
    expect([first.seq, second.seq]).toEqual([1, 2]);
    const { rows } = await env.db.query('select * from seals where seal_id = $1', [first.sealId]);
    await asSuperuser('delete from seals where seal_id = $1', [first.sealId]);
    const later = await verify(secondTicket);
    const own = await verify(firstTicket);
    const cli = await cliFor(env)('verify', LATAM, '--json');
    const cols = Object.keys(rows[0]);
    await asSuperuser(
      `insert into seals (${cols.join(',')}) values (${cols.map((_, i) => `$${i + 1}`).join(',')})`,
      cols.map((c) => rows[0][c]),
    );
    expect(later.ok).toBe(false);
    expect(later.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'chain', message: expect.stringMatching(/seal #1.*missing/) }),
      ]),
    );
    expect(own.ok).toBe(false);
    expect(own.problems.map((p) => p.message).join('\n')).toMatch(
      /in the object store .* but missing from the database/,
    );
    expect(cli.code).toBe(1);
    expect(cli.json().chain.problems.length).toBeGreaterThan(0);
  });
});

test('a re-seal after a content change appends a seal chained to the previous one; the old one stays', async () => {
  const before = await sealsOfTicket(env.db, CLINICA, CLINICA_TICKET);
  const k = await keys();
  // Unchanged content: nothing added (retries and re-archives of the same data).
  expect((await appendSeal(env.db, k, CLINICA, CLINICA_TICKET)).created).toBe(false);
  await env.db.query(`update tickets set team = 'Reopened team' where tenant_id = $1 and ticket_id = $2`, [
    CLINICA,
    CLINICA_TICKET,
  ]);
  const { seal, created } = await appendSeal(env.db, k, CLINICA, CLINICA_TICKET);
  const after = await sealsOfTicket(env.db, CLINICA, CLINICA_TICKET);
  expect(created).toBe(true);
  expect(after.map((s) => s.sealId)).toEqual([seal.sealId, ...before.map((s) => s.sealId)]);
  expect(seal.previousSealHash).toBe(before[0]?.sealHash);
  expect(parseSealDocument(after[1]?.data as Buffer).header.ticket.team).not.toBe('Reopened team');
});

test('v1 tickets verify as v1 and `reseal` adds a v2 seal, keeping the v1 digest', async () => {
  const { rows } = await env.db.query('select digest from tickets where tenant_id = $1 and ticket_id = $2', [
    CLINICA,
    CLINICA_TICKET,
  ]);
  // A ticket archived before seal v2: no seal rows, no seal copies.
  for (const s of await sealsOfTicket(env.db, CLINICA, CLINICA_TICKET))
    await env.store.delete(sealObjectKey(CLINICA, CLINICA_TICKET, s.sealId));
  await asSuperuser('delete from seals where tenant_id = $1', [CLINICA]);
  await env.db.query(`update tickets set team = (raw->>'team') where tenant_id = $1 and ticket_id = $2`, [
    CLINICA,
    CLINICA_TICKET,
  ]);
  const v1 = await verify(CLINICA_TICKET, CLINICA);
  expect(v1).toMatchObject({ ok: true, version: 1, digest: rows[0].digest, problems: [] });

  const r = await cliFor(env)('reseal', CLINICA, '--wait', '--json');
  expect(r.code).toBe(0);
  expect(r.json()).toMatchObject({ status: 'done', progress: { resealed: 1, failed: 0 } });
  const v2 = await verify(CLINICA_TICKET, CLINICA);
  expect(v2).toMatchObject({ ok: true, version: 2, problems: [] });
  const { rows: after } = await env.db.query(
    'select digest from tickets where tenant_id = $1 and ticket_id = $2',
    [CLINICA, CLINICA_TICKET],
  );
  expect(after[0].digest).toBe(rows[0].digest);
  // Running it again finds nothing left to seal.
  expect((await cliFor(env)('reseal', CLINICA, '--wait', '--json')).json().progress.resealed).toBe(0);
});

test('erasure removes the sealed data and keeps the signed envelope; nothing else may change', async () => {
  const [seal] = await sealsOfTicket(env.db, CLINICA, CLINICA_TICKET);
  if (!seal) throw new Error('not sealed');
  await expect(
    env.db.query(`update seals set data = null where seal_id = $1`, [seal.sealId]),
  ).rejects.toThrow();
  await expect(
    env.db.query(
      `update seals set data = null, erased_at = now(), root = repeat('0', 64) where seal_id = $1`,
      [seal.sealId],
    ),
  ).rejects.toThrow(/append-only/);
  await env.db.query('update seals set data = null, erased_at = now() where seal_id = $1', [seal.sealId]);
  const [erased] = await sealsOfTicket(env.db, CLINICA, CLINICA_TICKET);
  expect(erased).toMatchObject({
    data: null,
    root: seal.root,
    signature: seal.signature,
    sealHash: seal.sealHash,
  });
});
