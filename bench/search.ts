import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { dataDir } from '../infra/paths';
import { phoneVariants } from '../lib/search/phone';
import { recentCutoff } from '../lib/search/recent-messages';
import { tenantKey } from '../lib/search/tenant-scope';
import { createTicketSearch } from '../lib/search/ticket-search';
import { startArchiveEnv } from '../tools/harness/archive-env';
import { botAuthorization } from '../tools/harness/blip-fixtures';
import { processTree, pssBytes, statusBytes } from './lib/proc';
import type { BenchContext, BenchResult, Cell } from './lib/report';
import { serviceGroups } from './lib/stack';
import { MB, ratio, round, summarize } from './lib/stats';

/**
 * 4. Search at scale. A generator writes archived tickets and messages for two tenants straight
 * to Postgres (multi-row inserts) and Typesense (bulk import, per-line results checked), then each
 * search kind runs through the API (session cookie, app.inject) with 1 and 16 concurrent clients.
 * Baseline: GET /v1/session, an authenticated API call that searches nothing (the API's floor).
 * Also reported: index build time, Typesense memory, Postgres size per million messages.
 */
const TENANTS = ['atendimentolatam', 'clinicavidasana'];
const FIRST = [
  'João',
  'Maria',
  'José',
  'Ana',
  'Francisco',
  'Antônia',
  'Carlos',
  'Adriana',
  'Paulo',
  'Juliana',
  'Pedro',
  'Márcia',
  'Lucas',
  'Fernanda',
  'Luiz',
  'Patrícia',
  'Marcos',
  'Aline',
  'Rafael',
  'Camila',
  'Sofía',
  'Mateo',
  'Valentina',
  'Santiago',
];
const LAST = [
  'Silva',
  'Santos',
  'Oliveira',
  'Souza',
  'Rodrigues',
  'Ferreira',
  'Alves',
  'Pereira',
  'Lima',
  'Gomes',
  'Costa',
  'Ribeiro',
  'Martins',
  'Carvalho',
  'Almeida',
  'García',
  'Martínez',
  'López',
  'González',
  'Hernández',
];
const WORDS = [
  'pedido',
  'entrega',
  'atrasada',
  'reembolso',
  'produto',
  'quebrado',
  'nota',
  'fiscal',
  'troca',
  'garantia',
  'boleto',
  'pix',
  'cartão',
  'cancelamento',
  'endereço',
  'transportadora',
  'prazo',
  'consulta',
  'exame',
  'agendamento',
  'receita',
  'licuadora',
  'factura',
  'devolución',
  'envío',
  'reclamo',
  'atendimento',
  'obrigado',
  'protocolo',
  'senha',
];
/**
 * Tickets closed over the five years up to today, more of them recently, as an archive grows with
 * its tenant: the close date's density rises linearly (date = end − span × (1 − √u)), so the last six
 * months hold ~19 % of the tickets (uniformly, 10 %). The free-text window (issue 17) counts back from
 * today: dates fixed in the past (2024–2025, before it) would leave it nothing to search.
 */
const SPAN = 5 * 365 * 86_400_000;
const closedAtFrom = (u: number, end: number) => end - Math.floor(SPAN * (1 - Math.sqrt(u)));
/** Months of the free-text window in this benchmark (the default of SEARCH_TEXT_DEFAULT_MONTHS). */
const WINDOW_MONTHS = 6;

/** Deterministic pseudo-random numbers (xorshift), so runs generate the same data. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

interface GenTicket {
  tenantId: string;
  ticketId: string;
  seq: number;
  name: string;
  phone: string;
  closedAt: number;
}

export async function searchBench(ctx: BenchContext): Promise<BenchResult> {
  const full = ctx.scale === 'full';
  const ticketCount = full ? 100_000 : 5_000;
  const perTicket = full ? 20 : 10;
  const queriesPerKind = full ? 200 : 60;
  // No rate limits: the benchmark measures search, not the limiter (which answers 429 in < 1 ms).
  const env = await startArchiveEnv({
    worker: false,
    // The API's text cache off: every row measures a search, comparable with runs before the cache.
    // Its effect is measured apart below, on the same collections in the same run.
    env: {
      WEBHOOK_RATE_LIMIT_PER_MINUTE: '1000000',
      SEARCH_RATE_LIMIT_PER_MINUTE: '1000000',
      SEARCH_TEXT_CACHE_SECONDS: '0',
      SEARCH_TEXT_DEFAULT_MONTHS: String(WINDOW_MONTHS),
    },
  });
  const rand = rng(42);
  // Today at 00:00 UTC minus an hour: every ticket closed before the run (same data all day).
  const end = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 3_600_000;
  const pick = <T>(a: readonly T[]) => a[Math.floor(rand() * a.length)] as T;
  try {
    // The tenants exist as an installation admits them: through the webhook (key checked once).
    for (const t of TENANTS) await env.webhook(randomUUID(), botAuthorization(t));
    const typesense = serviceGroups.typesense()[0];
    const tsRss0 = typesense ? statusBytes(typesense, 'VmRSS') : 0;
    const tsDisk0 = typesenseDiskBytes();

    ctx.log(`search: generating ${ticketCount} tickets / ${ticketCount * perTicket} messages`);
    const tickets: GenTicket[] = [];
    let pgMs = 0;
    let tsMs = 0;
    const CHUNK = full ? 2000 : 1000;
    for (let base = 0; base < ticketCount; base += CHUNK) {
      const chunk: GenTicket[] = [];
      for (let i = base; i < Math.min(ticketCount, base + CHUNK); i++) {
        const tenantId = TENANTS[i % TENANTS.length] as string;
        const phone = `+55${11 + Math.floor(rand() * 80)}9${String(Math.floor(rand() * 1e8)).padStart(8, '0')}`;
        chunk.push({
          tenantId,
          ticketId: randomUUID(),
          seq: 10_000 + i,
          name: `${pick(FIRST)} ${pick(LAST)}`,
          phone,
          closedAt: closedAtFrom(rand(), end),
        });
      }
      tickets.push(...chunk);
      const messages = chunk.flatMap((t) =>
        Array.from({ length: perTicket }, (_, p) => {
          const words = Array.from({ length: 6 + Math.floor(rand() * 12) }, () => pick(WORDS));
          // One selective token per ticket (a protocol number), for the "rare word" search.
          if (p === 1) words.push(`protocolo R${t.seq}`);
          const text = words.join(' ');
          return { t, p, text, sentAt: t.closedAt - (perTicket - p) * 60_000 };
        }),
      );

      const p0 = Date.now();
      const tv: unknown[] = [];
      const tt: string[] = [];
      for (const t of chunk) {
        const b = tv.length;
        tt.push(
          `(${Array.from({ length: 13 }, (_, k) => `$${b + k + 1}`).join(',')},'{}'::jsonb,now(),now(),'ClosedAttendant',true)`,
        );
        const customer = `${t.phone.slice(1)}@wa.gw.msging.net`;
        tv.push(
          t.tenantId,
          t.ticketId,
          t.seq,
          customer,
          customer,
          t.name,
          t.phone,
          'WhatsApp',
          new Date(t.closedAt - perTicket * 60_000),
          new Date(t.closedAt),
          perTicket,
          0,
          createHash('sha256').update(t.ticketId).digest('hex'),
        );
      }
      await env.db.query(
        `insert into tickets (tenant_id, ticket_id, sequential_id, customer_identity, contact_identity, contact_name,
            contact_phone, channel, open_date, close_date, message_count, media_count, digest, raw, archived_at,
            indexed_at, status, closed) values ${tt.join(',')}`,
        tv,
      );
      for (let m = 0; m < messages.length; m += 1000) {
        const part = messages.slice(m, m + 1000);
        const mv: unknown[] = [];
        const mt: string[] = [];
        for (const { t, p, text, sentAt } of part) {
          const b = mv.length;
          mt.push(`(${Array.from({ length: 10 }, (_, k) => `$${b + k + 1}`).join(',')},true)`);
          const raw = Buffer.from(JSON.stringify({ id: `m${p}`, type: 'text/plain', content: text }));
          mv.push(
            t.tenantId,
            t.ticketId,
            `m${p}`,
            p,
            p % 2 === 0 ? 'customer' : 'agent',
            new Date(sentAt),
            'text/plain',
            text,
            raw,
            createHash('sha256').update(raw).digest('hex'),
          );
        }
        await env.db.query(
          `insert into messages (tenant_id, ticket_id, message_id, position, direction, sent_at, type, text, raw,
              raw_sha256, in_ticket_window) values ${mt.join(',')}`,
          mv,
        );
      }
      pgMs += Date.now() - p0;

      const s0 = Date.now();
      const ticketDocs = chunk.map((t) => ({
        id: `${t.tenantId}:${t.ticketId}`,
        tenant_id: t.tenantId,
        tenant_key: tenantKey(t.tenantId),
        ticket_id: t.ticketId,
        sequential_id: t.seq,
        contact_identity: `${t.phone.slice(1)}@wa.gw.msging.net`,
        contact_name: t.name,
        contact_phone: t.phone,
        phones: phoneVariants(t.phone),
        channel: 'WhatsApp',
        opened_at: Math.floor((t.closedAt - perTicket * 60_000) / 1000),
        closed_at: Math.floor(t.closedAt / 1000),
        message_count: perTicket,
        media_count: 0,
      }));
      const messageDocs = messages.map(({ t, p, text, sentAt }) => ({
        id: `${t.tenantId}:${t.ticketId}:m${p}`,
        tenant_id: t.tenantId,
        tenant_key: tenantKey(t.tenantId),
        ticket_id: t.ticketId,
        message_id: `m${p}`,
        position: p,
        direction: p % 2 === 0 ? 'customer' : 'agent',
        text,
        sent_at: Math.floor(sentAt / 1000),
      }));
      // The window's messages also go to the recent-messages collection, as the indexer writes them.
      const cutoff = recentCutoff(new Date(), WINDOW_MONTHS) ?? 0;
      for (const [collection, docs] of [
        [env.collections.tickets, ticketDocs],
        [env.collections.messages, messageDocs],
        [env.collections.messagesRecent, messageDocs.filter((d) => d.sent_at >= cutoff)],
      ] as const) {
        if (docs.length === 0) continue;
        const out = (await env.search
          .collections(collection)
          .documents()
          .import(docs as never, { action: 'upsert' } as never)) as unknown as Array<{ success: boolean }>;
        const failed = (Array.isArray(out) ? out : []).filter((r) => !r.success);
        if (failed.length > 0)
          throw new Error(`typesense refused ${failed.length} documents: ${JSON.stringify(failed[0])}`);
      }
      tsMs += Date.now() - s0;
      if ((base / CHUNK) % 10 === 0) ctx.log(`search: ${base + chunk.length}/${ticketCount} tickets`);
    }
    const messageTotal = ticketCount * perTicket;
    const tsRss1 = typesense ? processTree(typesense).reduce((s, p) => s + pssBytes(p), 0) : 0;
    // RocksDB writes in the background: a flush window before reading the directory's size.
    await new Promise((r) => setTimeout(r, 5000));
    const tsDisk1 = typesenseDiskBytes();
    const metrics = await fetch(`${env.config.TYPESENSE_URL}/metrics.json`, {
      headers: { 'x-typesense-api-key': env.config.TYPESENSE_API_KEY },
    })
      .then((r) => r.json() as Promise<Record<string, string>>)
      .catch(() => ({}) as Record<string, string>);
    await env.db.query('vacuum analyze tickets');
    await env.db.query('vacuum analyze messages');
    const { rows: sizes } = await env.db.query<{ messages: string; tickets: string; media: string }>(
      // A partitioned table (messages, migration 014) has no storage of its own: sum its partitions.
      `select coalesce((select sum(pg_total_relation_size(relid)) from pg_partition_tree('messages')),
                       pg_total_relation_size('messages')) as messages,
              coalesce((select sum(pg_total_relation_size(relid)) from pg_partition_tree('tickets')),
                       pg_total_relation_size('tickets')) as tickets,
              coalesce((select sum(pg_total_relation_size(relid)) from pg_partition_tree('media')),
                       pg_total_relation_size('media')) as media`,
    );
    const pgBytes = Number(sizes[0]?.messages) + Number(sizes[0]?.tickets);

    // Sessions, one per tenant; queries spread over both.
    const cookies: Record<string, string> = {};
    for (const t of TENANTS) {
      const login = await env.app.inject({
        method: 'POST',
        url: '/v1/session',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ auth: botAuthorization(t), user: 'bench@ticket-vault.local' }),
      });
      cookies[t] = String(login.headers['set-cookie']).split(';')[0] as string;
    }
    const sample = () => pick(tickets);
    const fmtPhone = (p: string) => `(${p.slice(3, 5)}) ${p.slice(5, 10)}-${p.slice(10)}`;
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const kinds: Record<string, () => { tenant: string; url: string }> = {
      'API floor (GET /v1/session)': () => ({ tenant: sample().tenantId, url: '/v1/session' }),
      name: () => {
        const t = sample();
        return { tenant: t.tenantId, url: `/v1/tickets?name=${encodeURIComponent(t.name)}` };
      },
      phone: () => {
        const t = sample();
        return { tenant: t.tenantId, url: `/v1/tickets?phone=${encodeURIComponent(fmtPhone(t.phone))}` };
      },
      'ticket id': () => {
        const t = sample();
        return { tenant: t.tenantId, url: `/v1/tickets?ticket=${rand() < 0.5 ? t.ticketId : t.seq}` };
      },
      'date range (7 days)': () => {
        const t = sample();
        return {
          tenant: t.tenantId,
          url: `/v1/tickets?from=${day(t.closedAt - 3 * 86_400_000)}&to=${day(t.closedAt + 3 * 86_400_000)}`,
        };
      },
      'full text, rare word': () => {
        const t = sample();
        return { tenant: t.tenantId, url: `/v1/tickets?q=R${t.seq}` };
      },
      // The default: messages of the last WINDOW_MONTHS months (textWindow in the answer).
      [`full text, 2 common words (last ${WINDOW_MONTHS} months)`]: () => ({
        tenant: sample().tenantId,
        url: `/v1/tickets?q=${encodeURIComponent(`${pick(WORDS)} ${pick(WORDS)}`)}`,
      }),
      // "Search all dates": the whole archive, as every free-text search did before the window.
      'full text, 2 common words, all dates': () => ({
        tenant: sample().tenantId,
        url: `/v1/tickets?q=${encodeURIComponent(`${pick(WORDS)} ${pick(WORDS)}`)}&textScope=all`,
      }),
    };
    const rows: Cell[][] = [];
    const data: Record<string, unknown> = {};
    let floorP50: Record<number, number> = {};
    for (const [kind, make] of Object.entries(kinds)) {
      for (const clients of [1, 16]) {
        const latencies: number[] = [];
        let errors = 0;
        let hits = 0;
        let next = 0;
        let firstError: string | undefined;
        const total = queriesPerKind * (clients === 1 ? 1 : 2);
        const t0 = Date.now();
        await Promise.all(
          Array.from({ length: clients }, async () => {
            while (next++ < total) {
              const q = make();
              const s = process.hrtime.bigint();
              const res = await env.app.inject({
                method: 'GET',
                url: q.url,
                headers: { cookie: cookies[q.tenant] as string },
              });
              latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
              if (res.statusCode !== 200) {
                errors++;
                firstError ??= `${res.statusCode} ${res.body.slice(0, 300)}`;
              } else if (Number((res.json() as { found?: number }).found ?? 1) > 0) hits++;
            }
          }),
        );
        const s = summarize(latencies);
        const qps = latencies.length / ((Date.now() - t0) / 1000);
        if (kind.startsWith('API floor')) floorP50 = { ...floorP50, [clients]: s.p50 };
        rows.push([
          kind,
          clients,
          round(s.p50, 1),
          round(s.p95, 1),
          round(s.p99, 1),
          round(qps, 0),
          errors,
          kind.startsWith('API floor') ? null : `${round((100 * hits) / latencies.length, 0)}%`,
          ratio(s.p50, floorP50[clients] ?? Number.NaN, 1),
        ]);
        data[`${kind}/${clients}`] = { ...s, qps, errors, hits, firstError };
        if (firstError) ctx.log(`search: ${kind}: ${errors} errors, first: ${firstError}`);
      }
    }
    // The text cache (SEARCH_TEXT_CACHE_SECONDS): two common words, then the next page of the same
    // search, through lib/search/ticket-search.ts without the API (same Typesense, same run).
    const cacheRows: Cell[][] = [];
    for (const clients of [1, 16]) {
      const first: number[] = [];
      const next: number[] = [];
      let n = 0;
      const total = Math.ceil(queriesPerKind / 2) * (clients === 1 ? 1 : 2);
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (n++ < total) {
            // A fresh cache per search: its first page misses, its next page hits.
            const cached = createTicketSearch(env.search, env.collections, { textCacheMs: 600_000 });
            const q = `${pick(WORDS)} ${pick(WORDS)}`;
            const tenant = sample().tenantId;
            for (const [page, into] of [
              [1, first],
              [2, next],
            ] as const) {
              const s0 = process.hrtime.bigint();
              await cached.search(tenant, { q, page, perPage: 25 });
              into.push(Number(process.hrtime.bigint() - s0) / 1e6);
            }
          }
        }),
      );
      for (const [label, xs] of [
        ['2 common words, first page (cache miss)', first],
        ['2 common words, next page (cache hit)', next],
      ] as const) {
        const s = summarize(xs);
        cacheRows.push([label, clients, round(s.p50, 1), round(s.p95, 1), round(s.p99, 1)]);
      }
    }
    // The free-text window (issue 17), paired: the same words for the same tenant over the last
    // WINDOW_MONTHS months and over all dates, one right after the other in alternating order, so a
    // shared machine's load falls on both alike (lib/search/ticket-search.ts, no API, no cache).
    const windowRows: Cell[][] = [];
    const recentSearch = createTicketSearch(env.search, env.collections, { textWindowMonths: WINDOW_MONTHS });
    const allSearch = createTicketSearch(env.search, env.collections, { textWindowMonths: 0 });
    // The same window over the whole messages collection (sent_at filter only), as before the
    // recent-messages collection existed: what that collection saves, measured in the same run.
    const filterOnlySearch = createTicketSearch(
      env.search,
      { ...env.collections, messagesRecent: env.collections.messages },
      { textWindowMonths: WINDOW_MONTHS },
    );
    for (const clients of [1, 16]) {
      const recent: number[] = [];
      const all: number[] = [];
      const filterOnly: number[] = [];
      const found = { recent: 0, all: 0, filterOnly: 0 };
      let n = 0;
      const total = queriesPerKind * (clients === 1 ? 1 : 2);
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (n++ < total) {
            const q = `${pick(WORDS)} ${pick(WORDS)}`;
            const tenant = sample().tenantId;
            const arms = [
              [recentSearch, recent, 'recent'],
              [allSearch, all, 'all'],
              [filterOnlySearch, filterOnly, 'filterOnly'],
            ] as const;
            // Rotated, so no arm always runs first (or last) after the others warmed the same words.
            const turn = n % arms.length;
            for (const [search, into, key] of [...arms.slice(turn), ...arms.slice(0, turn)]) {
              const s0 = process.hrtime.bigint();
              const r = await search.search(tenant, { q, page: 1, perPage: 20 });
              into.push(Number(process.hrtime.bigint() - s0) / 1e6);
              found[key] += r.found;
            }
          }
        }),
      );
      const sr = summarize(recent);
      const sa = summarize(all);
      const sf = summarize(filterOnly);
      windowRows.push(
        [
          `last ${WINDOW_MONTHS} months (recent-messages collection)`,
          clients,
          round(sr.p50, 1),
          round(sr.p95, 1),
          round(found.recent / recent.length, 0),
          ratio(sr.p50, sa.p50, 2),
        ],
        [
          `last ${WINDOW_MONTHS} months, sent_at filter on all messages (before)`,
          clients,
          round(sf.p50, 1),
          round(sf.p95, 1),
          round(found.filterOnly / filterOnly.length, 0),
          ratio(sf.p50, sa.p50, 2),
        ],
        ['all dates', clients, round(sa.p50, 1), round(sa.p95, 1), round(found.all / all.length, 0), 1],
      );
      data[`window/${clients}`] = { recent: sr, all: sa, filterOnly: sf, found };
    }
    return {
      name: 'search',
      tables: [
        {
          title: `Free text, 2 common words: last ${WINDOW_MONTHS} months vs all dates, interleaved (lib/search/ticket-search.ts, no API; ms)`,
          columns: ['window', 'clients', 'p50', 'p95', 'tickets found (mean)', 'p50 ÷ all dates'],
          rows: windowRows,
        },
        {
          title: 'Search text cache (lib/search/ticket-search.ts, no API; ms)',
          columns: ['search', 'clients', 'p50', 'p95', 'p99'],
          rows: cacheRows,
        },
        {
          title: `Search through the API: ${ticketCount} tickets / ${messageTotal} messages, 2 tenants (ms)`,
          columns: ['search', 'clients', 'p50', 'p95', 'p99', 'req/s', 'errors', 'with hits', 'p50 ÷ floor'],
          rows,
        },
        {
          title: 'Search: build and size',
          columns: ['figure', 'value'],
          rows: [
            ['Postgres insert (tickets + messages), s', round(pgMs / 1000, 1)],
            ['Typesense import (tickets + messages), s', round(tsMs / 1000, 1)],
            ['Typesense import, documents/s', round((ticketCount + messageTotal) / (tsMs / 1000), 0)],
            ['Typesense RSS before → after, MB', `${round(tsRss0 / MB, 0)} → ${round(tsRss1 / MB, 0)}`],
            [
              'Typesense active memory (metrics.json), MB',
              round(Number(metrics.typesense_memory_active_bytes ?? NaN) / MB, 0),
            ],
            ['Postgres tickets + messages, MB', round(pgBytes / MB, 0)],
            ['Typesense data directory growth, MB', round((tsDisk1 - tsDisk0) / MB, 0)],
            [
              'Typesense disk per million messages (with their tickets), MB',
              round((tsDisk1 - tsDisk0) / MB / (messageTotal / 1e6), 0),
            ],
            ['Postgres per million messages, MB', round(pgBytes / MB / (messageTotal / 1e6), 0)],
          ],
        },
      ],
      notes: [
        'the Typesense RSS includes every collection on that server (other benchmark runs leave none behind)',
      ],
      data: { ...data, pgMs, tsMs, tsRss0, tsRss1, metrics, sizes: sizes[0] },
    };
  } finally {
    await env.close();
  }
}

/** Bytes under the stack's Typesense data directory (du), 0 when it cannot be read. */
function typesenseDiskBytes(): number {
  try {
    return Number(
      execFileSync('du', ['-sb', path.join(dataDir, 'typesense')], { encoding: 'utf8' }).split('\t')[0],
    );
  } catch {
    return 0;
  }
}
