import { createHash } from 'node:crypto';
import { startErasure } from '../../cli/commands/erase';
import { placeHold, releaseHold } from '../../cli/commands/hold';
import { setRetention, startRetention } from '../../cli/commands/retention';
import { ticketMediaPrefix } from '../../lib/media/keys';
import { mirrorMedia } from '../../lib/media/mirror';
import { SMALL_MEDIA_BYTES } from '../../lib/media/store-media';
import { identityFingerprint } from '../../lib/retention/erasure-hash';
import { type PurgeDeps, purgeTicket } from '../../lib/retention/purge';
import { ticketDocId } from '../../lib/search/schema';
import { startBackfill } from '../../lib/temporal/backfill-starter';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import type { BackfillProgress } from '../../workflows/backfill-tenant';
import type { EraseContactResult, RetentionTotals } from '../../workflows/retention';
import { addClosedTicket, mediaLinkMessage, textMessages } from '../support/generated-tickets';
import { purgeDepsOf } from '../support/purge-deps';
import { exportToEnd, sessionApi } from '../support/session-api';

/**
 * Retention, legal hold and erasure on the real stack: tickets archived through the webhook, then
 * deleted by the workflows, checked in Postgres, the GCS emulator and Typesense directly.
 */

let env: ArchiveEnv;
let cookie: string;
const LATAM = 'atendimentolatam';
const DAY = 86_400_000;
const ctx = () => ({
  db: env.db,
  box: env.box,
  temporal: env.temporal,
  taskQueue: env.config.TEMPORAL_TASK_QUEUE,
});

interface Media {
  uri: string;
  size: number;
  sha256: () => Promise<string>;
}

let seed = 100;
const newMedia = (): Media =>
  env.sim.addMedia({ contentType: 'image/png', generate: { size: 2_000 + seed, seed: seed++ } });

/** A closed LATAM ticket of `customer`, closed at `closedAt`, with two texts and the given images. */
async function archiveTicket(customer: string, closedAt: Date, media: Media[] = []): Promise<string> {
  const start = closedAt.getTime() - 3_600_000;
  const id = addClosedTicket(env.sim, {
    bot: LATAM,
    start,
    closedAt: closedAt.getTime(),
    customer,
    contactName: 'Cliente Retencao',
    messages: (ticketId) => [
      ...textMessages(`ret-${ticketId}`, 2, start, (i) => ['bom dia', 'como posso ajudar'][i] as string),
      ...media.map((m, i) =>
        mediaLinkMessage(`ret-${ticketId}-media-${i}`, start + 10_000 + i, {
          type: 'image/png',
          uri: m.uri,
          size: m.size,
        }),
      ),
    ],
  });
  const answer = await env.webhook(id, botAuthorization(LATAM));
  expect(answer.statusCode).toBe(202);
  const result = await env.result(answer.body.workflowId as string);
  expect(result.mediaStored).toBe(media.length);
  return id;
}

const customer = () => `55119${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}@wa.gw.msging.net`;

async function rowCounts(ticketId: string) {
  const { rows } = await env.db.query<{ tickets: number; messages: number; media: number; exports: number }>(
    `select (select count(*)::int from tickets where tenant_id = $1 and ticket_id = $2) as tickets,
            (select count(*)::int from messages where tenant_id = $1 and ticket_id = $2) as messages,
            (select count(*)::int from media where tenant_id = $1 and ticket_id = $2) as media,
            (select count(*)::int from exports where tenant_id = $1 and kind = 'ticket' and target = $2) as exports`,
    [LATAM, ticketId],
  );
  return rows[0];
}

async function objectExists(media: Media): Promise<boolean> {
  return (await env.store.head(`${LATAM}/media/${await media.sha256()}`)) !== null;
}

/** The ticket's document and its message documents in Typesense. */
async function searchDocs(ticketId: string): Promise<{ ticket: boolean; messages: number }> {
  const ticket = await env.search
    .collections(env.collections.tickets)
    .documents(ticketDocId(LATAM, ticketId))
    .retrieve()
    .then(
      () => true,
      (err) => {
        if ((err as { httpStatus?: number }).httpStatus === 404) return false;
        throw err;
      },
    );
  const found = await env.search
    .collections(env.collections.messages)
    .documents()
    .search({ q: '*', query_by: 'text', filter_by: `tenant_id:=${LATAM} && ticket_id:=\`${ticketId}\`` });
  return { ticket, messages: found.found };
}

async function audit(action: string) {
  const { rows } = await env.db.query<{ actor: string; target: string; details: Record<string, unknown> }>(
    'select actor, target, details from audit_log where tenant_id = $1 and action = $2 order by id',
    [LATAM, action],
  );
  return rows;
}

const api = sessionApi(
  () => env.app,
  () => cookie,
);

/** Exports through the API and waits until the PDF is stored; returns its storage key. */
async function exportPdf(url: string, payload?: unknown): Promise<string> {
  const { exportId, state } = await exportToEnd(api, url, payload);
  expect(state).toMatchObject({ status: 'done' });
  const key = `${LATAM}/exports/${exportId}.pdf`;
  expect(await env.store.head(key)).not.toBeNull();
  return key;
}

beforeAll(async () => {
  env = await startArchiveEnv();
});
afterAll(async () => {
  await env?.close();
});

describe('retention', () => {
  const now = Date.now();
  const old = new Date(now - 800 * DAY);
  const recent = new Date(now - 10 * DAY);
  let shared: Media;
  let unique: Media;
  let heldMedia: Media;
  const t: Record<string, string> = {};
  let heldContact: string;

  beforeAll(async () => {
    shared = newMedia();
    unique = newMedia();
    heldMedia = newMedia();
    heldContact = customer();
    t.oldShared = await archiveTicket(customer(), old, [shared]);
    t.oldUnique = await archiveTicket(customer(), old, [unique]);
    t.heldTicket = await archiveTicket(customer(), old, [heldMedia]);
    t.heldByContact = await archiveTicket(heldContact, old);
    t.recent = await archiveTicket(customer(), recent, [shared]);
  });

  test('with no retention set (the default), nothing is deleted', async () => {
    const run = await startRetention(ctx(), { tenantId: LATAM, wait: true });
    expect(run.result).toMatchObject({ tickets: 0 });
    for (const id of Object.values(t)) expect((await rowCounts(id))?.tickets).toBe(1);
  });

  test('deletes old tickets, keeps recent and held ones, and shared media objects', async () => {
    await setRetention(ctx(), { tenantId: LATAM, days: 365, actor: 'ops@loja.example' });
    const ticketHold = await placeHold(ctx(), {
      tenantId: LATAM,
      kind: 'ticket',
      target: t.heldTicket as string,
      reason: 'Procon 2024-1234',
      createdBy: 'juridico@loja.example',
    });
    expect(ticketHold.created).toBe(true);
    const again = await placeHold(ctx(), {
      tenantId: LATAM,
      kind: 'ticket',
      target: t.heldTicket as string,
      reason: 'again',
      createdBy: 'juridico@loja.example',
    });
    expect(again).toMatchObject({ created: false, hold: { holdId: ticketHold.hold.holdId } });
    await placeHold(ctx(), {
      tenantId: LATAM,
      kind: 'contact',
      target: heldContact,
      reason: 'lawsuit',
      createdBy: 'juridico@loja.example',
    });

    const run = await startRetention(ctx(), { tenantId: LATAM, wait: true });
    const totals = run.result as RetentionTotals;
    expect(totals).toMatchObject({ tickets: 2, messages: 6, media: 2, objects: 1 });

    for (const id of [t.oldShared, t.oldUnique] as string[]) {
      expect(await rowCounts(id)).toEqual({ tickets: 0, messages: 0, media: 0, exports: 0 });
      expect(await searchDocs(id)).toEqual({ ticket: false, messages: 0 });
    }
    for (const id of [t.heldTicket, t.heldByContact, t.recent] as string[]) {
      expect((await rowCounts(id))?.tickets).toBe(1);
      expect(await searchDocs(id)).toEqual({ ticket: true, messages: expect.any(Number) });
      expect((await searchDocs(id)).messages).toBeGreaterThanOrEqual(2);
    }
    // The shared image is still used by the recent ticket; the unique one is gone; the held one stays.
    expect(await objectExists(shared)).toBe(true);
    expect(await objectExists(unique)).toBe(false);
    expect(await objectExists(heldMedia)).toBe(true);

    const entries = await audit('ticket.retention-delete');
    expect(entries.map((e) => e.target).sort()).toEqual([t.oldShared, t.oldUnique].sort());
    for (const e of entries) {
      expect(e.actor).toBe('system:retention');
      expect(e.details).toMatchObject({ messages: 3, media: 1 });
    }
    expect(await audit('retention.set')).toHaveLength(1);
    expect(await audit('hold.place')).toHaveLength(2);
  });

  test('running it again is harmless', async () => {
    const run = await startRetention(ctx(), { tenantId: LATAM, wait: true });
    expect(run.result).toMatchObject({ tickets: 0, objects: 0 });
    expect(await audit('ticket.retention-delete')).toHaveLength(2);
    expect((await rowCounts(t.recent as string))?.messages).toBe(3);
    expect(await objectExists(shared)).toBe(true);
  });

  test('a released hold no longer protects; the all-tenants run (the schedule) applies it', async () => {
    const released = await releaseHold(ctx(), {
      tenantId: LATAM,
      kind: 'ticket',
      target: t.heldTicket as string,
      releasedBy: 'juridico@loja.example',
    });
    expect(released.released).toBe(true);
    const run = await startRetention(ctx(), { wait: true });
    expect(run.result).toEqual({ tenants: [LATAM], alreadyRunning: [], recentTrimmed: 0 });
    expect((await rowCounts(t.heldTicket as string))?.tickets).toBe(0);
    expect(await objectExists(heldMedia)).toBe(false);
    // The contact hold still stands.
    expect((await rowCounts(t.heldByContact as string))?.tickets).toBe(1);
    await setRetention(ctx(), { tenantId: LATAM, days: null, actor: 'ops@loja.example' });
  });
});

describe('erasure', () => {
  const contact = customer();
  const other = customer();
  const at = new Date(Date.now() - 30 * DAY);
  let own: Media;
  let shared: Media;
  let heldOwn: Media;
  const t: Record<string, string> = {};
  const pdfs: string[] = [];

  beforeAll(async () => {
    own = newMedia();
    shared = newMedia();
    heldOwn = newMedia();
    t.a = await archiveTicket(contact, at, [own, shared]);
    t.b = await archiveTicket(contact, new Date(at.getTime() + DAY));
    t.held = await archiveTicket(contact, new Date(at.getTime() + 2 * DAY), [heldOwn]);
    t.other = await archiveTicket(other, at, [shared]);
    const login = await env.app.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ auth: botAuthorization(LATAM), user: 'dpo@loja.example' }),
    });
    expect(login.statusCode).toBeLessThan(300);
    cookie = String(login.headers['set-cookie']).split(';')[0] as string;
    pdfs.push(await exportPdf(`/v1/tickets/${t.a}/exports`));
    pdfs.push(await exportPdf(`/v1/contacts/${encodeURIComponent(contact)}/exports`, {}));
    await placeHold(ctx(), {
      tenantId: LATAM,
      kind: 'ticket',
      target: t.held as string,
      reason: 'court order',
      createdBy: 'juridico@loja.example',
    });
  });

  test('removes every ticket of the contact except held ones, with media, index entries and exports', async () => {
    const { workflowId, result } = await startErasure(ctx(), {
      tenantId: LATAM,
      identity: contact,
      requestedBy: 'dpo@loja.example',
      wait: true,
    });
    expect(workflowId).not.toContain(contact.split('@')[0]);
    expect(result).toEqual<EraseContactResult>({
      tickets: 2,
      messages: 6,
      media: 2,
      objects: 3, // the own image and both PDFs
      exports: 2,
      heldTicketIds: [t.held as string],
      contactHeld: false,
    });
    for (const id of [t.a, t.b] as string[]) {
      expect(await rowCounts(id)).toEqual({ tickets: 0, messages: 0, media: 0, exports: 0 });
      expect(await searchDocs(id)).toEqual({ ticket: false, messages: 0 });
    }
    const { rows } = await env.db.query('select count(*)::int as n from exports where tenant_id = $1', [
      LATAM,
    ]);
    expect(rows[0].n).toBe(0);
    for (const key of pdfs) expect(await env.store.head(key)).toBeNull();
    expect(await objectExists(own)).toBe(false);
    expect(await objectExists(shared)).toBe(true); // still the other contact's
    expect(await objectExists(heldOwn)).toBe(true);
    expect((await rowCounts(t.held as string))?.messages).toBe(3);
    expect((await searchDocs(t.held as string)).ticket).toBe(true);
    expect((await rowCounts(t.other as string))?.media).toBe(1);

    const perTicket = await audit('ticket.erase');
    expect(perTicket.map((e) => e.target).sort()).toEqual([t.a, t.b].sort());
    expect(perTicket.every((e) => e.actor === 'dpo@loja.example')).toBe(true);
    const summary = await audit('contact.erase');
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatchObject({
      actor: 'dpo@loja.example',
      target: `contact:${identityFingerprint(env.box, LATAM, contact)}`,
      details: { tickets: 2, messages: 6, media: 2, objects: 3, exports: 2, heldTicketIds: [t.held] },
    });
    // The audit log says what was erased, not who: the identity is not written again.
    expect(JSON.stringify([...perTicket, ...summary])).not.toContain(contact.split('@')[0]);
  });

  test('running it again is harmless and reports the held ticket again', async () => {
    const { result } = await startErasure(ctx(), {
      tenantId: LATAM,
      identity: contact,
      requestedBy: 'dpo@loja.example',
      wait: true,
    });
    expect(result).toMatchObject({ tickets: 0, objects: 0, exports: 0, heldTicketIds: [t.held] });
    expect(await audit('ticket.erase')).toHaveLength(2);
    expect((await rowCounts(t.held as string))?.tickets).toBe(1);
    expect(await objectExists(shared)).toBe(true);
  });

  test('a contact on hold is refused whole; released, it is erased', async () => {
    await placeHold(ctx(), {
      tenantId: LATAM,
      kind: 'contact',
      target: other,
      reason: 'investigation',
      createdBy: 'juridico@loja.example',
    });
    const refused = await startErasure(ctx(), {
      tenantId: LATAM,
      identity: other,
      requestedBy: 'dpo@loja.example',
      wait: true,
    });
    expect(refused.result).toMatchObject({ tickets: 0, contactHeld: true, heldTicketIds: [t.other] });
    expect((await rowCounts(t.other as string))?.tickets).toBe(1);

    await releaseHold(ctx(), { tenantId: LATAM, kind: 'contact', target: other, releasedBy: 'juridico' });
    await releaseHold(ctx(), {
      tenantId: LATAM,
      kind: 'ticket',
      target: t.held as string,
      releasedBy: 'juridico',
    });
    const erased = await startErasure(ctx(), {
      tenantId: LATAM,
      identity: other,
      requestedBy: 'dpo@loja.example',
      wait: true,
    });
    expect(erased.result).toMatchObject({
      tickets: 1,
      media: 1,
      objects: 1,
      contactHeld: false,
      heldTicketIds: [],
    });
    // Its image was shared only with the already-erased contact: now no row uses it.
    expect(await objectExists(shared)).toBe(false);
    const last = await startErasure(ctx(), {
      tenantId: LATAM,
      identity: contact,
      requestedBy: 'dpo@loja.example',
      wait: true,
    });
    expect(last.result).toMatchObject({ tickets: 1, heldTicketIds: [] });
    expect(await objectExists(heldOwn)).toBe(false);
  });
});

describe('a hold placed while a purge runs', () => {
  const at = new Date(Date.now() - 40 * DAY);
  const purgeDeps = (hooks?: PurgeDeps['hooks']) => purgeDepsOf(env, hooks);
  const request = (ticketId: string) => ({
    tenantId: LATAM,
    ticketId,
    actor: 'system:retention',
    action: 'ticket.retention-delete',
  });

  /** Until some statement of this env's database waits on a row lock, or `settled` says to stop. */
  async function untilBlocked(settled: () => boolean): Promise<void> {
    for (;;) {
      const { rows } = await env.db.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
      );
      if ((rows[0]?.n ?? 0) > 0 || settled()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  function track<T>(promise: Promise<T>) {
    let settled = false;
    const done = promise.then(
      (value) => {
        settled = true;
        return { value, error: null as Error | null };
      },
      (error: Error) => {
        settled = true;
        return { value: null as T | null, error };
      },
    );
    return { done, settled: () => settled };
  }

  beforeAll(async () => {
    // The first webhook admits the tenant, which the login needs.
    await archiveTicket(customer(), at);
    const login = await env.app.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ auth: botAuthorization(LATAM), user: 'dpo@loja.example' }),
    });
    expect(login.statusCode).toBeLessThan(300);
    cookie = String(login.headers['set-cookie']).split(';')[0] as string;
  });

  test('a hold committed while the purge waits for the ticket lock keeps search docs, media and PDFs', async () => {
    const image = newMedia();
    const ticketId = await archiveTicket(customer(), at, [image]);
    const pdf = await exportPdf(`/v1/tickets/${ticketId}/exports`);
    // The hold is being placed: its transaction has locked the ticket and written the hold.
    const placing = await env.db.connect();
    try {
      await placing.query('begin');
      await placing.query('select 1 from tickets where tenant_id = $1 and ticket_id = $2 for update', [
        LATAM,
        ticketId,
      ]);
      await placing.query(
        `insert into legal_holds (tenant_id, kind, target, reason, created_by)
         values ($1, 'ticket', $2, 'subpoena', 'juridico@loja.example')`,
        [LATAM, ticketId],
      );
      const purge = track(purgeTicket(purgeDeps(), request(ticketId)));
      await untilBlocked(purge.settled);
      await placing.query('commit');
      const { value, error } = await purge.done;
      expect(error).toBeNull();
      expect(value?.status).toBe('held');
    } finally {
      placing.release();
    }
    expect(await rowCounts(ticketId)).toMatchObject({ tickets: 1, messages: 3, media: 1, exports: 1 });
    expect(await searchDocs(ticketId)).toEqual({ ticket: true, messages: 3 });
    expect(await objectExists(image)).toBe(true);
    expect(await env.store.head(pdf)).not.toBeNull();
  });

  test('a hold placed while the purge deletes waits for it, then fails naming the ticket', async () => {
    const image = newMedia();
    const ticketId = await archiveTicket(customer(), at, [image]);
    let placement: ReturnType<typeof track<unknown>> | undefined;
    const outcome = await purgeTicket(
      purgeDeps({
        afterDecision: async () => {
          placement = track(
            placeHold(ctx(), {
              tenantId: LATAM,
              kind: 'ticket',
              target: ticketId,
              reason: 'too late',
              createdBy: 'juridico@loja.example',
            }),
          );
          const p = placement;
          await untilBlocked(p.settled);
          // Not placed while the ticket is locked for deletion.
          expect(p.settled()).toBe(false);
        },
      }),
      request(ticketId),
    );
    expect(outcome.status).toBe('deleted');
    const placed = await (placement as NonNullable<typeof placement>).done;
    expect(placed.error?.message).toContain(ticketId);
    expect(placed.error?.message).toMatch(/nothing to hold/);
    const { rows } = await env.db.query('select 1 from legal_holds where tenant_id = $1 and target = $2', [
      LATAM,
      ticketId,
    ]);
    expect(rows).toHaveLength(0);
    expect(await rowCounts(ticketId)).toEqual({ tickets: 0, messages: 0, media: 0, exports: 0 });
    expect(await objectExists(image)).toBe(false);
  });

  test('a hold on a ticket or contact the tenant does not have is an error naming the target', async () => {
    const missingTicket = '00000000-0000-4000-8000-00000000dead';
    const missingContact = customer();
    for (const [kind, target] of [
      ['ticket', missingTicket],
      ['contact', missingContact],
    ] as const) {
      await expect(
        placeHold(ctx(), { tenantId: LATAM, kind, target, reason: 'x', createdBy: 'juridico@loja.example' }),
      ).rejects.toThrow(target);
    }
    const { rows } = await env.db.query(
      'select 1 from legal_holds where tenant_id = $1 and target = any($2::text[])',
      [LATAM, [missingTicket, missingContact]],
    );
    expect(rows).toHaveLength(0);
  });
});

describe('erasure tombstones', () => {
  test('a webhook for an erased ticket answers 202 erased and imports nothing; hashes are keyed', async () => {
    const person = customer();
    const ticketId = await archiveTicket(person, new Date(Date.now() - 5 * DAY), [newMedia()]);
    const { result } = await startErasure(ctx(), {
      tenantId: LATAM,
      identity: person,
      requestedBy: 'dpo@loja.example',
      wait: true,
    });
    expect(result).toMatchObject({ tickets: 1 });

    // Blip still has the ticket and the Builder action fires again (or an operator replays it).
    const again = await env.webhook(ticketId, botAuthorization(LATAM));
    expect(again.statusCode).toBe(202);
    expect(again.body).toMatchObject({ status: 'erased' });
    expect(await rowCounts(ticketId)).toEqual({ tickets: 0, messages: 0, media: 0, exports: 0 });
    expect(await searchDocs(ticketId)).toEqual({ ticket: false, messages: 0 });

    const { rows } = await env.db.query<{ kind: string; key_hash: string }>(
      'select kind, key_hash from erasure_tombstones where tenant_id = $1 order by kind',
      [LATAM],
    );
    const hashes = rows.map((r) => r.key_hash);
    expect(hashes).toEqual(
      expect.arrayContaining([
        identityFingerprint(env.box, LATAM, person),
        expect.stringMatching(/^hmac-sha256:[0-9a-f]{64}$/),
      ]),
    );
    // Neither the id nor the identity in clear, nor their unkeyed sha-256 (reversible by guessing).
    const unkeyed = (v: string) => createHash('sha256').update(`${LATAM}\n${v}`).digest('hex');
    const stored = JSON.stringify(rows) + JSON.stringify(await audit('contact.erase'));
    for (const clear of [ticketId, person.split('@')[0] as string, unkeyed(person), unkeyed(ticketId)])
      expect(stored).not.toContain(clear);
  });

  test('a backfill over the erased ticket skips it: Blip still lists it, nothing is imported', async () => {
    const closedAt = new Date(Date.now() - 9 * DAY);
    const person = customer();
    const ticketId = await archiveTicket(person, closedAt);
    const { result } = await startErasure(ctx(), {
      tenantId: LATAM,
      identity: person,
      requestedBy: 'dpo@loja.example',
      wait: true,
    });
    expect(result).toMatchObject({ tickets: 1 });

    const day = closedAt.toISOString().slice(0, 10);
    const { workflowId } = await startBackfill(env.temporal, env.config.TEMPORAL_TASK_QUEUE, {
      tenantId: LATAM,
      from: `${day}T00:00:00.000Z`,
      to: `${day}T23:59:59.999Z`,
    });
    const progress = (await env.temporal.workflow.getHandle(workflowId).result()) as BackfillProgress;
    expect(progress.listed).toBeGreaterThanOrEqual(1);
    expect(progress.skipped).toBeGreaterThanOrEqual(1);
    expect(await rowCounts(ticketId)).toEqual({ tickets: 0, messages: 0, media: 0, exports: 0 });
  });
});

describe('large media objects no row points at', () => {
  test('a worker killed between its upload and its row: the object still goes with the ticket’s erasure', async () => {
    // Larger than SMALL_MEDIA_BYTES: streamed straight into its final name under the ticket's prefix.
    const video = env.sim.addMedia({
      contentType: 'image/png',
      generate: { size: SMALL_MEDIA_BYTES + 1_000_000, seed: seed++ },
    });
    const ticketId = await archiveTicket(customer(), new Date(Date.now() - 400 * DAY), [video]);
    const prefix = ticketMediaPrefix(LATAM, ticketId);
    const { rows } = await env.db.query<{
      message_id: string;
      ordinal: number;
      original_uri: string;
      storage_key: string;
      sha256: string;
    }>(
      'select message_id, ordinal, original_uri, storage_key, sha256 from media where tenant_id = $1 and ticket_id = $2',
      [LATAM, ticketId],
    );
    const row = rows[0];
    if (!row) throw new Error('no media row');
    expect(row.storage_key.startsWith(prefix)).toBe(true);
    expect(row.sha256).toBe(await video.sha256());
    // The killed attempt: the same item mirrored up to its upload, its row never written (the
    // row above stays as it was: results only ever change pending rows).
    const orphan = await mirrorMedia(
      LATAM,
      {
        uri: row.original_uri,
        declaredType: 'image/png',
        item: { ticketId, messageId: row.message_id, ordinal: row.ordinal },
      },
      {
        store: env.store,
        allowedOrigins: env.config.BLIP_MEDIA_ALLOWED_ORIGINS,
        maxBytes: env.config.MEDIA_MAX_BYTES,
        timeoutMs: 30_000,
        deadlinePolicy: { floorMs: 30_000, minBytesPerSecond: 1024 },
        refresh: async () => null,
      },
    );
    if (orphan.status !== 'stored') throw new Error(`not stored: ${orphan.reason}`);
    expect(orphan.storageKey).not.toBe(row.storage_key);
    expect(await env.store.head(orphan.storageKey)).not.toBeNull();

    const outcome = await purgeTicket(
      { db: env.db, box: env.box, store: env.store, search: env.search, collections: env.collections },
      { tenantId: LATAM, ticketId, actor: 'dpo@loja.example', action: 'ticket.erase', tombstone: true },
    );
    expect(outcome).toMatchObject({ status: 'deleted', counts: { media: 1, objects: 2 } });
    // Nothing of the ticket's media is left: neither the recorded object nor the orphan.
    expect(await env.store.head(row.storage_key)).toBeNull();
    expect(await env.store.head(orphan.storageKey)).toBeNull();
    expect(await env.store.list(prefix)).toEqual([]);
  });
});
