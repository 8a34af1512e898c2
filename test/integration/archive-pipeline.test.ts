import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { markMediaResults } from '../../lib/db/media';
import { ticketMediaPrefix } from '../../lib/media/keys';
import { SMALL_MEDIA_BYTES } from '../../lib/media/store-media';
import { archiveWorkflowId, SEARCH_ATTRIBUTE, WORKFLOW } from '../../lib/temporal/contract';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import {
  botAuthorization,
  FIXTURES_DIR,
  fixtureIndex,
  fixtureMessages,
} from '../../tools/harness/blip-fixtures';
import { addClosedTicket, mediaLinkMessage, textMessages } from '../support/generated-tickets';

/**
 * The archive pipeline end to end on the real stack: webhook → Temporal workflow → Blip
 * simulator → Postgres, GCS emulator and Typesense, checked from the stores themselves.
 */

let env: ArchiveEnv;
const LATAM = 'atendimentolatam';
const index = fixtureIndex();
const manifest = JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, 'media/manifest.json'), 'utf8')) as {
  items: Array<{ path: string; file?: string; sha256: string }>;
};
const fixtureSha256 = new Set(manifest.items.map((m) => m.sha256));

beforeAll(async () => {
  env = await startArchiveEnv();
});
afterAll(async () => {
  await env?.close();
});

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function readObject(key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of env.store.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const botOf = (ticketId: string) => {
  const t = index.tickets.find((x) => x.id === ticketId);
  if (!t) throw new Error(`no fixture ticket ${ticketId}`);
  return t.bot.split('@')[0] as string;
};

/** A generated closed ticket of the LATAM bot with `count` text messages. */
function addGeneratedTicket(count: number, extra: Array<Record<string, unknown>> = []): string {
  const start = Date.parse('2025-06-01T10:00:00.000Z');
  return addClosedTicket(env.sim, {
    bot: LATAM,
    start,
    sequentialId: 5000 + Math.floor(Math.random() * 1000),
    contactName: 'Cliente Gerado',
    messages: (id) => [...textMessages(`gen-${id}`, count, start), ...extra],
  });
}

describe('every fixture ticket', () => {
  const tickets = index.tickets.map((t) => t.id);
  const digests = new Map<string, string>();

  beforeAll(async () => {
    const answers = await Promise.all(tickets.map((id) => env.webhook(id, botAuthorization(botOf(id)))));
    for (const [i, a] of answers.entries()) {
      expect(a.statusCode).toBe(202);
      expect(a.body).toEqual({
        workflowId: archiveWorkflowId(botOf(tickets[i] as string), tickets[i] as string),
        status: 'started',
      });
    }
    for (const [i, a] of answers.entries()) {
      const result = await env.result(a.body.workflowId as string);
      digests.set(tickets[i] as string, result.digest);
    }
  });

  test.each(index.tickets.map((t) => [t.id, t]))(
    '%s: every message stored in Blip order, with its exact bytes',
    async (id, t) => {
      const expected = fixtureMessages(id);
      expect(expected).toHaveLength(t.messageItems);
      const { rows } = await env.db.query<{
        message_id: string;
        position: number;
        raw: Buffer;
        direction: string;
      }>(
        'select message_id, position, raw, direction from messages where tenant_id = $1 and ticket_id = $2 order by position',
        [botOf(id), id],
      );
      expect(rows.map((r) => r.message_id)).toEqual(expected.map((m) => m.id));
      expect(rows.map((r) => r.position)).toEqual(expected.map((_, i) => i));
      // The stored raw bytes are the item as Blip sent it (U+0000 and all); the simulator serves
      // media from its own origin where the fixtures say blip-media.local.
      const served = JSON.parse(
        JSON.stringify(expected).replaceAll('http://blip-media.local', env.sim.urls.mediaUrl),
      );
      expect(rows.map((r) => JSON.parse(r.raw.toString('utf8')))).toEqual(served);
      // Blip's direction is from the bot's side: a received text is the customer's; sent is bot or
      // agent (human when Blip marks the emitter so). Ticket events and chat states are system items.
      for (const [i, r] of rows.entries()) {
        const item = expected[i] as { direction?: string; type?: string; metadata?: Record<string, string> };
        if (item.direction === 'received' && item.type === 'text/plain') expect(r.direction).toBe('customer');
        if (item.direction === 'sent' && item.metadata?.['#messageEmitter'] === 'Human')
          expect(r.direction).toBe('agent');
        if (item.type === 'application/vnd.iris.ticket+json') expect(r.direction).toBe('system');
      }
      const ticket = await env.db.query(
        'select message_count, digest, archived_at, indexed_at from tickets where tenant_id = $1 and ticket_id = $2',
        [botOf(id), id],
      );
      expect(ticket.rows[0]).toMatchObject({ message_count: t.messageItems, digest: digests.get(id) });
      expect(ticket.rows[0].archived_at).toBeInstanceOf(Date);
      expect(ticket.rows[0].indexed_at).toBeInstanceOf(Date);
    },
  );

  test('text messages keep their text, hostile content included', async () => {
    const hostile = '5a11ee25-ca1b-5ce2-a798-5f5affcff0a4';
    const items = fixtureMessages(hostile).filter(
      (m) => m.type === 'text/plain' && typeof m.content === 'string',
    );
    expect(items.length).toBeGreaterThan(0);
    const { rows } = await env.db.query<{ message_id: string; text: string }>(
      'select message_id, text from messages where tenant_id = $1 and ticket_id = $2',
      [LATAM, hostile],
    );
    const byId = new Map(rows.map((r) => [r.message_id, r.text]));
    for (const item of items) {
      expect(byId.get(item.id)).toBe((item.content as string).replaceAll('\u0000', '\uFFFD'));
    }
    expect(rows.some((r) => r.text.includes('<script'))).toBe(true);
  });

  test('every media object in GCS has the bytes the simulator served; missing and unsafe links are recorded', async () => {
    const { rows } = await env.db.query<{
      status: string;
      sha256: string | null;
      storage_key: string | null;
      original_uri: string;
      reason: string | null;
      ticket_id: string;
      size: string | null;
    }>(
      `select status, sha256, storage_key, original_uri, reason, ticket_id, size from media where tenant_id = $1 order by ticket_id, message_id, ordinal`,
      [LATAM],
    );
    const stored = rows.filter((r) => r.status === 'stored');
    expect(stored.length).toBeGreaterThanOrEqual(5);
    expect(rows.filter((r) => r.status === 'pending')).toEqual([]);
    for (const m of stored) {
      // Small media by content address, large ones under the ticket's own prefix (lib/media/keys.ts).
      if (Number(m.size) <= SMALL_MEDIA_BYTES) expect(m.storage_key).toBe(`${LATAM}/media/${m.sha256}`);
      else expect(m.storage_key?.startsWith(ticketMediaPrefix(LATAM, m.ticket_id))).toBe(true);
      expect(fixtureSha256.has(m.sha256 as string)).toBe(true);
      expect(sha256(await readObject(m.storage_key as string))).toBe(m.sha256);
    }
    const unavailable = rows.filter((r) => r.status === 'unavailable');
    // The failed agent PDF (404 at the media host) and the file:// link of the hostile ticket.
    expect(
      unavailable.some((r) => r.original_uri.startsWith('file:') && /never followed/.test(r.reason ?? '')),
    ).toBe(true);
    expect(unavailable.some((r) => /404/.test(r.reason ?? ''))).toBe(true);
  });

  test('the router bot ticket is archived under its own tenant, with the real phone from the tunnel', async () => {
    const router = 'ec76db3c-68c3-513c-9d01-a54ee7ba0146';
    const { rows } = await env.db.query(
      'select tenant_id, tunnel_originator from tickets where ticket_id = $1',
      [router],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].tenant_id).toBe('clinicavidasana');
    expect(rows[0].tunnel_originator).toMatch(/^\d+@wa\.gw\.msging\.net$/);
  });

  test('tickets and messages are searchable in Typesense, each under its tenant', async () => {
    const found = await env.search
      .collections(env.collections.tickets)
      .documents()
      .search({ q: '*', query_by: 'contact_name', filter_by: `tenant_id:=${LATAM}`, per_page: 50 });
    expect((found.hits ?? []).map((h) => (h.document as { ticket_id: string }).ticket_id).sort()).toEqual(
      index.tickets
        .filter((t) => t.bot.startsWith(LATAM))
        .map((t) => t.id)
        .sort(),
    );
    const messages = await env.search.collections(env.collections.messages).documents().search({
      q: '*',
      query_by: 'text',
      filter_by: 'ticket_id:=805c6e79-257e-5075-933c-0cdd20578e04',
      per_page: 1,
    });
    expect(messages.found).toBe(270);
  });

  test('a second webhook for an archived ticket answers "archived" and starts nothing', async () => {
    const id = 'b598352e-77f5-546c-a017-5ec108ed50ba';
    const again = await env.webhook(id, botAuthorization(LATAM));
    expect(again).toEqual({
      statusCode: 202,
      body: { workflowId: archiveWorkflowId(LATAM, id), status: 'archived' },
    });
  });

  test('re-archiving a ticket gives the same digest and no duplicate rows', async () => {
    const id = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67';
    const before = await env.db.query(
      'select count(*)::int as n from media where tenant_id = $1 and ticket_id = $2',
      [LATAM, id],
    );
    const result = await env.temporal.workflow.execute(WORKFLOW.archiveTicket, {
      taskQueue: env.config.TEMPORAL_TASK_QUEUE,
      workflowId: `rearchive/${randomUUID()}`,
      args: [{ tenantId: LATAM, ticketId: id }],
    });
    expect((result as { digest: string }).digest).toBe(digests.get(id));
    const after = await env.db.query(
      'select count(*)::int as n from media where tenant_id = $1 and ticket_id = $2',
      [LATAM, id],
    );
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });
});

test('the same webhook 20 times at once: one workflow, one copy of every row', async () => {
  const id = addGeneratedTicket(150);
  const answers = await Promise.all(
    Array.from({ length: 20 }, () => env.webhook(id, botAuthorization(LATAM))),
  );
  expect(answers.every((a) => a.statusCode === 202)).toBe(true);
  expect(new Set(answers.map((a) => a.body.workflowId))).toEqual(new Set([archiveWorkflowId(LATAM, id)]));
  expect(answers.filter((a) => a.body.status === 'started')).toHaveLength(1);
  await env.result(archiveWorkflowId(LATAM, id));
  const runs = [];
  for await (const wf of env.temporal.workflow.list({ query: `${SEARCH_ATTRIBUTE.ticketId} = '${id}'` }))
    runs.push(wf);
  // Visibility is eventually consistent; whatever it lists must be this one workflow.
  expect(new Set(runs.map((r) => r.workflowId)).size).toBeLessThanOrEqual(1);
  const { rows } = await env.db.query(
    'select count(*)::int as n, count(distinct position)::int as p from messages where tenant_id = $1 and ticket_id = $2',
    [LATAM, id],
  );
  expect(rows[0]).toEqual({ n: 150, p: 150 });
});

test('Blip faults (5xx, 429, latency, dropped connections, expired links) still end in a complete archive', async () => {
  const media = env.sim.addMedia({ contentType: 'image/png', generate: { size: 300_000, seed: 7 } });
  const id = addGeneratedTicket(230, [
    {
      id: `media-${randomUUID()}`,
      direction: 'received',
      type: 'application/vnd.lime.media-link+json',
      content: { type: 'image/png', uri: media.uri, size: media.size },
      date: '2025-06-01T10:30:00.000Z',
      status: 'consumed',
    },
  ]);
  env.sim.faults.configure({
    seed: 11,
    errorRate: 0.15,
    rateLimitRate: 0.1,
    retryAfterSeconds: 1,
    latencyMs: 20,
    dropRate: 0.1,
    truncateMediaRate: 0.3,
  });
  env.sim.faults.enqueue({ kind: 'expired-link', count: 2 });
  try {
    const answer = await env.webhook(id, botAuthorization(LATAM));
    // The webhook itself may meet a fault when it checks a new key; the tenant exists by now.
    expect(answer.statusCode).toBe(202);
    const result = await env.result(answer.body.workflowId as string);
    expect(result.messageCount).toBe(231);
    expect(result.mediaStored).toBe(1);
  } finally {
    env.sim.faults.reset();
  }
  const { rows } = await env.db.query('select sha256 from media where tenant_id = $1 and ticket_id = $2', [
    LATAM,
    id,
  ]);
  expect(rows).toEqual([{ sha256: await media.sha256() }]);
});

test('a ticket Blip does not have fails the workflow with a message an operator can read', async () => {
  const id = randomUUID();
  const answer = await env.webhook(id, botAuthorization(LATAM));
  expect(answer.statusCode).toBe(202);
  const failure = await env.result(answer.body.workflowId as string).catch((err) => err);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const cause = (failure as WorkflowFailedError).cause as { cause?: { message: string; type?: string } };
  expect(cause.cause?.type).toBe('BlipNotFoundError');
  expect(cause.cause?.message).toMatch(new RegExp(id));
  const { rows } = await env.db.query('select count(*)::int as n from tickets where ticket_id = $1', [id]);
  expect(rows[0].n).toBe(0);
});

test('a 10 000-message ticket is archived completely while workflow history stays small', async () => {
  const id = addGeneratedTicket(10_000);
  const answer = await env.webhook(id, botAuthorization(LATAM));
  const result = await env.result(answer.body.workflowId as string);
  expect(result.messageCount).toBe(10_000);
  const { rows } = await env.db.query(
    'select count(*)::int as n, min(position)::int as first, max(position)::int as last from messages where tenant_id = $1 and ticket_id = $2',
    [LATAM, id],
  );
  expect(rows[0]).toEqual({ n: 10_000, first: 0, last: 9_999 });
  // Message bodies go straight to Postgres: the history holds a handful of small events.
  const history = await env.temporal.workflow.getHandle(answer.body.workflowId as string).fetchHistory();
  const events = history.events ?? [];
  expect(events.length).toBeLessThan(60);
  const payloadBytes = events.reduce((n, e) => {
    const payloads = e.activityTaskCompletedEventAttributes?.result?.payloads ?? [];
    return n + payloads.reduce((m, p) => m + (p.data?.length ?? 0), 0);
  }, 0);
  expect(payloadBytes).toBeLessThan(10_000);
});

test('a ticket without media is archived without calling the mirror; one with media still calls it', async () => {
  const scheduled = async (workflowId: string) =>
    ((await env.temporal.workflow.getHandle(workflowId).fetchHistory()).events ?? [])
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter(Boolean);
  const textOnly = await env.webhook(addGeneratedTicket(5), botAuthorization(LATAM));
  await expect(env.result(textOnly.body.workflowId as string)).resolves.toMatchObject({
    messageCount: 5,
    mediaStored: 0,
  });
  // Two activities in all: fetch + messages, then seal + index (`fewer-archive-round-trips`).
  expect(await scheduled(textOnly.body.workflowId as string)).toEqual([
    'fetchTicketAndMessages',
    'sealAndIndexTicket',
  ]);
  const media = env.sim.addMedia({ contentType: 'image/png', generate: { size: 5_000, seed: 21 } });
  const withMedia = await env.webhook(
    addGeneratedTicket(2, [
      mediaLinkMessage(`media-${randomUUID()}`, Date.parse('2025-06-01T10:30:00.000Z'), {
        type: 'image/png',
        uri: media.uri,
        size: media.size,
      }),
    ]),
    botAuthorization(LATAM),
  );
  await expect(env.result(withMedia.body.workflowId as string)).resolves.toMatchObject({ mediaStored: 1 });
  expect(await scheduled(withMedia.body.workflowId as string)).toEqual([
    'fetchTicketAndMessages',
    'mirrorMediaBatch',
    'sealAndIndexTicket',
  ]);

  // A mirror attempt that outlived its heartbeat timeout reports late: the recorded result stays.
  const ticketId = (withMedia.body.workflowId as string).split('/').at(-1) as string;
  const before = await env.db.query(
    'select message_id, ordinal, status, sha256, storage_key from media where tenant_id = $1 and ticket_id = $2',
    [LATAM, ticketId],
  );
  expect(before.rows).toEqual([expect.objectContaining({ status: 'stored', sha256: await media.sha256() })]);
  const row = before.rows[0] as { message_id: string; ordinal: number };
  const late = [
    { messageId: row.message_id, ordinal: row.ordinal, status: 'unavailable' as const, reason: 'late' },
  ];
  await expect(markMediaResults(env.db, LATAM, ticketId, late)).resolves.toBe(0);
  const after = await env.db.query(
    'select message_id, ordinal, status, sha256, storage_key from media where tenant_id = $1 and ticket_id = $2',
    [LATAM, ticketId],
  );
  expect(after.rows).toEqual(before.rows);
});

test('a ticket Blip still reports open is retried, not archived half-way, and archived once it closes', async () => {
  const id = randomUUID();
  const customer = '5511944443333@wa.gw.msging.net';
  const sim = env.sim.addTicket({
    ticket: {
      id,
      ownerIdentity: `${LATAM}@msging.net`,
      customerIdentity: customer,
      status: 'Open',
      closed: false,
      storageDate: '2025-06-02T10:00:00.000Z',
    },
    messages: [
      {
        id: `open-${id}`,
        direction: 'received',
        type: 'text/plain',
        content: 'ainda aberto',
        date: '2025-06-02T10:00:01.000Z',
      },
    ],
  });
  const answer = await env.webhook(id, botAuthorization(LATAM));
  const handle = env.temporal.workflow.getHandle(answer.body.workflowId as string);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const pending = (await handle.describe()).raw.pendingActivities ?? [];
    const attempt = pending.find((a) => a.activityType?.name === 'fetchTicketAndMessages')?.attempt ?? 0;
    if (attempt >= 2) {
      expect(pending[0]?.lastFailure?.message).toMatch(/still Open in Blip/);
      break;
    }
    if (Date.now() > deadline) throw new Error('fetchTicketAndMessages was never retried');
    await new Promise((r) => setTimeout(r, 250));
  }
  const { rows } = await env.db.query('select count(*)::int as n from messages where ticket_id = $1', [id]);
  expect(rows[0].n).toBe(0);

  Object.assign(sim.resource, {
    status: 'ClosedAttendant',
    closed: true,
    closeDate: '2025-06-02T10:30:00.000Z',
  });
  const result = await env.result(answer.body.workflowId as string);
  expect(result.messageCount).toBe(1);
});
