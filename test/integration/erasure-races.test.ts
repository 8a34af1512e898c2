import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { TICKET_ERASED_WHILE_RENDERING } from '../../activities/export';
import { type PurgeOutcome, purgeTicket } from '../../lib/retention/purge';
import { aliasTarget } from '../../lib/search/migrate';
import { ticketDocId } from '../../lib/search/schema';
import { exportWorkflowId, WORKFLOW } from '../../lib/temporal/contract';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import type { ReindexProgress } from '../../workflows/reindex-search';
import { addClosedTicket, mediaLinkMessage, textMessages } from '../support/generated-tickets';
import { purgeDepsOf } from '../support/purge-deps';
import { sessionApi } from '../support/session-api';

/**
 * Erasure racing the long jobs that copy a ticket elsewhere: an export rendering it, a full
 * reindex building new collections. Each race is pinned with a hook in the real worker's
 * activities, so the purge lands exactly in the gap (no timing).
 */

const LATAM = 'atendimentolatam';
const DAY = 86_400_000;
let env: ArchiveEnv;
let cookie: string;

/** Set by a test: what the export activity does after rendering, before storing the PDF. */
let beforeStore: ((exportId: string) => Promise<void>) | null = null;
/** Set by a test: what the media mirror does after a batch is mirrored, before recording it. */
let beforeRecord: ((ticketId: string) => Promise<void>) | null = null;
/** Set by a test: what the reindex does after building, before swapping the aliases. */
let beforeSwap: (() => Promise<void>) | null = null;
/** Set by a test: what indexing does after reading a ticket, before writing its documents. */
let beforeIndexWrite: ((ticketId: string) => Promise<void>) | null = null;

const purgeDeps = () => purgeDepsOf(env);
const erase = (ticketId: string) =>
  purgeTicket(purgeDeps(), {
    tenantId: LATAM,
    ticketId,
    actor: 'dpo@loja.example',
    action: 'ticket.erase',
    tombstone: true,
  });

let seq = 0;
type Image = { uri: string; size: number };
function addTicket(words: string, images: Image[] = []): string {
  const closedAt = Date.now() - 20 * DAY + seq++ * 60_000;
  const start = closedAt - 3_600_000;
  const id = addClosedTicket(env.sim, {
    bot: LATAM,
    start,
    closedAt,
    customer: `55119${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}@wa.gw.msging.net`,
    contactName: 'Cliente Corrida',
    messages: (ticketId) => [
      ...textMessages(`race-${ticketId}`, 2, start, (i) => `${words} ${i}`),
      ...images.map((m, i) =>
        mediaLinkMessage(`race-${ticketId}-media-${i}`, start + 10_000 + i, {
          type: 'image/png',
          uri: m.uri,
          size: m.size,
        }),
      ),
    ],
  });
  return id;
}
async function archive(id: string) {
  const answer = await env.webhook(id, botAuthorization(LATAM));
  expect(answer.statusCode).toBe(202);
  return env.result(answer.body.workflowId as string);
}
async function archiveTicket(words: string, images: Image[] = []): Promise<string> {
  const id = addTicket(words, images);
  await archive(id);
  return id;
}

/** The ticket's document and its message documents, through the aliases searches use. */
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
    .search({ q: '*', query_by: 'text', filter_by: `ticket_id:=\`${ticketId}\`` });
  return { ticket, messages: found.found };
}

const api = sessionApi(
  () => env.app,
  () => cookie,
);

beforeAll(async () => {
  env = await startArchiveEnv({
    activityDeps: (deps) => ({
      ...deps,
      exportHooks: { beforeStore: async (exportId) => beforeStore?.(exportId) },
      opsHooks: { beforeSwap: async () => beforeSwap?.() },
      indexHooks: { beforeWrite: async (_tenantId, ticketId) => beforeIndexWrite?.(ticketId) },
      mediaHooks: { beforeRecord: async (ticketId) => beforeRecord?.(ticketId) },
    }),
  });
  await archiveTicket('primeiro contato');
  const login = await env.app.inject({
    method: 'POST',
    url: '/v1/session',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ auth: botAuthorization(LATAM), user: 'dpo@loja.example' }),
  });
  expect(login.statusCode).toBeLessThan(300);
  cookie = String(login.headers['set-cookie']).split(';')[0] as string;
});
afterAll(async () => {
  beforeRecord = null;
  beforeStore = null;
  beforeSwap = null;
  beforeIndexWrite = null;
  await env?.close();
});

test('a ticket erased while its export renders leaves no PDF: the export fails naming why', async () => {
  const ticketId = await archiveTicket('exportacao corrida');
  let erased = false;
  beforeStore = async () => {
    // Rendered from the ticket; now the erasure runs to its commit before the PDF is stored.
    expect((await erase(ticketId)).status).toBe('deleted');
    erased = true;
  };
  try {
    const started = await api('POST', `/v1/tickets/${ticketId}/exports`);
    expect(started.statusCode).toBe(202);
    const { exportId } = started.body as { exportId: string };
    const run = env.temporal.workflow.getHandle(exportWorkflowId(LATAM, exportId)).result();
    await expect(run).rejects.toBeInstanceOf(WorkflowFailedError);
    const failure = await run.catch((err: WorkflowFailedError) => err);
    expect(JSON.stringify(failure, Object.getOwnPropertyNames(failure))).toContain(
      TICKET_ERASED_WHILE_RENDERING,
    );
    expect(erased).toBe(true);
    expect(await env.store.head(`${LATAM}/exports/${exportId}.pdf`)).toBeNull();
    // The purge removed the export's row with the ticket; whatever remains is not a done export.
    const { rows } = await env.db.query<{ status: string }>(
      'select status from exports where export_id = $1',
      [exportId],
    );
    expect(rows.every((r) => r.status === 'failed')).toBe(true);
  } finally {
    beforeStore = null;
  }
});

test('an export whose ticket stays is stored and done as before', async () => {
  const ticketId = await archiveTicket('exportacao normal');
  const started = await api('POST', `/v1/tickets/${ticketId}/exports`);
  expect(started.statusCode).toBe(202);
  const { exportId } = started.body as { exportId: string };
  await env.temporal.workflow.getHandle(exportWorkflowId(LATAM, exportId)).result();
  expect(await env.store.head(`${LATAM}/exports/${exportId}.pdf`)).not.toBeNull();
  expect((await api('GET', `/v1/exports/${exportId}`)).body).toMatchObject({ status: 'done' });
});

test('a ticket erased while a full reindex builds does not come back after the alias swap', async () => {
  const erasedId = await archiveTicket('reindexacao apagado');
  const keptId = await archiveTicket('reindexacao mantido');
  const before = await aliasTarget(env.search, env.collections.tickets);
  let reached!: () => void;
  const built = new Promise<void>((resolve) => {
    reached = resolve;
  });
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  beforeSwap = async () => {
    reached();
    await gate;
  };
  try {
    // Its own workflow id: reindex/all of another test file may be on record in this namespace.
    const handle = await env.temporal.workflow.start(WORKFLOW.reindexSearch, {
      taskQueue: env.config.TEMPORAL_TASK_QUEUE,
      workflowId: `reindex-race-${randomUUID()}`,
      args: [{ batchSize: 1 }],
    });
    // The new collections hold every archived ticket, the erased one included; the aliases still
    // name the old ones.
    await built;
    expect(await aliasTarget(env.search, env.collections.tickets)).toBe(before);
    expect((await erase(erasedId)).status).toBe('deleted');
    expect(await searchDocs(erasedId)).toEqual({ ticket: false, messages: 0 });
    release();
    const progress = (await handle.result()) as ReindexProgress;
    expect(progress).toMatchObject({ done: true });
    expect(await aliasTarget(env.search, env.collections.tickets)).not.toBe(before);

    expect(await searchDocs(erasedId)).toEqual({ ticket: false, messages: 0 });
    const free = await env.search
      .collections(env.collections.messages)
      .documents()
      .search({ q: 'apagado', query_by: 'text', filter_by: `ticket_id:=\`${erasedId}\`` });
    expect(free.found).toBe(0);
    const kept = await searchDocs(keptId);
    expect(kept.ticket).toBe(true);
    expect(kept.messages).toBeGreaterThanOrEqual(2);
  } finally {
    release?.();
    beforeSwap = null;
  }
});

/** Resolves once some connection of this test's database waits on a lock (bounded: 20 s). */
async function someoneWaitsOnALock(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await env.db.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`,
    );
    if ((rows[0]?.n ?? 0) > 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no connection waited on a lock within 20 s');
}

test('a ticket erased while a per-tenant reindex re-writes it does not come back in search', async () => {
  const erasedId = await archiveTicket('reindexacao do inquilino apagado');
  const keptId = await archiveTicket('reindexacao do inquilino mantido');
  // The reindex has read the ticket and is about to write its documents: the erasure runs now. It
  // either completes (nothing orders it against the indexing) or waits for the indexing's lock.
  let purge: Promise<PurgeOutcome> | null = null;
  beforeIndexWrite = async (ticketId) => {
    if (ticketId !== erasedId || purge) return;
    purge = erase(erasedId);
    await Promise.race([purge, someoneWaitsOnALock()]);
  };
  try {
    const handle = await env.temporal.workflow.start(WORKFLOW.reindexSearch, {
      taskQueue: env.config.TEMPORAL_TASK_QUEUE,
      workflowId: `reindex-tenant-race-${randomUUID()}`,
      args: [{ tenantId: LATAM, batchSize: 1 }],
    });
    expect(await handle.result()).toMatchObject({ done: true });
  } finally {
    beforeIndexWrite = null;
  }
  expect(purge).not.toBeNull();
  expect((await (purge as unknown as Promise<PurgeOutcome>)).status).toBe('deleted');
  expect(await searchDocs(erasedId)).toEqual({ ticket: false, messages: 0 });
  const kept = await searchDocs(keptId);
  expect(kept.ticket).toBe(true);
  expect(kept.messages).toBeGreaterThanOrEqual(2);
});

test('a media object shared with a ticket being erased survives for the ticket mirroring it meanwhile', async () => {
  const image = env.sim.addMedia({ contentType: 'image/png', generate: { size: 3_100, seed: 31 } });
  const erasedId = await archiveTicket('midia compartilhada', [image]);
  const key = `${LATAM}/media/${await image.sha256()}`;
  expect(await env.store.head(key)).not.toBeNull();

  // The second ticket's mirror finds the object already there (same bytes); before its row says
  // stored, the first ticket, then the object's only recorded user, is erased.
  const mirroringId = addTicket('midia compartilhada de novo', [image]);
  let purged = false;
  beforeRecord = async (ticketId) => {
    if (ticketId !== mirroringId || purged) return;
    purged = true;
    expect((await erase(erasedId)).status).toBe('deleted');
  };
  try {
    const result = await archive(mirroringId);
    expect(purged).toBe(true);
    expect(result.mediaStored).toBe(1);
  } finally {
    beforeRecord = null;
  }
  const { rows } = await env.db.query<{ status: string; storage_key: string }>(
    'select status, storage_key from media where tenant_id = $1 and ticket_id = $2',
    [LATAM, mirroringId],
  );
  expect(rows).toEqual([{ status: 'stored', storage_key: key }]);
  expect(await env.store.head(key)).not.toBeNull();
  const verify = await api('GET', `/v1/tickets/${mirroringId}/verify`);
  expect(verify.body).toMatchObject({ ok: true });
});
