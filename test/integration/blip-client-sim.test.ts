import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import {
  BlipAuthError,
  BlipConnectionError,
  BlipGatewayTimeoutError,
  BlipNotFoundError,
  BlipRateLimitedError,
  BlipServerError,
  BlipTimeoutError,
  createBlipClient,
  InvalidBotKeyError,
  isSecureMediaExpired,
  type MediaRef,
  type Message,
  mediaUriExpiry,
} from '../../lib/blip';
import { type QueuedFault, type RequestLogEntry, signedMediaUri } from '../../tools/blip-sim';
import { FIXTURES_DIR, fixtureIndex, fixtureMessages } from '../../tools/harness/blip-fixtures';
import { download } from '../support/blip-download';
import { collect, type Harness, type RecordingClient, startHarness } from '../support/blip-harness';

/**
 * The Blip client (lib/blip) against the Blip simulator (tools/blip-sim) over real HTTP on
 * 127.0.0.1: paging, router tunnels, media refresh, every fault class, bad keys and scoping, a
 * fixture directory the simulator has never seen, and the `npm run blip-sim` CLI.
 * Back-off is asserted on the delays the client asked for (recorded sleeps), never on elapsed time.
 */

const RETAIL = 'atendimentolatam';
const CLINIC = 'clinicavidasana';
const LONG_TICKET = '805c6e79-257e-5075-933c-0cdd20578e04';
const MEDIA_TICKET = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67';
const TUNNEL_TICKET = 'ec76db3c-68c3-513c-9d01-a54ee7ba0146';
const SHORT_TICKET = 'b598352e-77f5-546c-a017-5ec108ed50ba';

interface ManifestItem {
  path: string;
  file: string;
  contentType: string;
  size: number;
  sha256: string;
  requiresSignature: boolean;
}
const manifest = (): ManifestItem[] =>
  (
    JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, 'media', 'manifest.json'), 'utf8')) as {
      items: ManifestItem[];
    }
  ).items;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const decodedPath = (p: string) => decodeURIComponent(p);

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

/** Query parameters of a logged command uri. */
function queryOf(entry: RequestLogEntry): URLSearchParams {
  const uri = entry.command?.uri ?? '';
  const q = uri.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : uri.slice(q + 1));
}

const commandsFor = (h: Harness, uriPart: string) =>
  h.sim.requestLog.filter((e) => e.kind === 'command' && e.command?.uri?.includes(uriPart));

/** Media links sent in the messages themselves (not quotes), each once. */
function mediaLinks(messages: Message[]): MediaRef[] {
  const byUri = new Map<string, MediaRef>();
  for (const m of messages) for (const ref of m.media) if (ref.isHttp && !ref.quoted) byUri.set(ref.uri, ref);
  return [...byUri.values()];
}

async function allMessages(client: RecordingClient, ticketId: string, tunnel = false): Promise<Message[]> {
  return (await collect(client.ticketMessages(ticketId, { tunnel }))).flatMap((p) => p.messages);
}

describe('Blip client against the simulator (shared fixtures)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ fixturesDir: FIXTURES_DIR });
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.sim.reset();
  });

  async function admin(method: 'GET' | 'POST', route: string, body?: unknown): Promise<unknown> {
    const res = await request(`${h.sim.urls.url}/_admin/${route}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.body.text();
    expect(res.statusCode).toBeLessThan(300);
    return text === '' ? undefined : JSON.parse(text);
  }
  const queueFaults = (...next: QueuedFault[]) => admin('POST', 'faults', { next });

  // ── paging ───────────────────────────────────────────────────────────────────────────────────

  describe('paging the 270-item ticket', () => {
    test('fixture index describes it as 270 items in 3 pages', () => {
      const entry = fixtureIndex().tickets.find((t) => t.id === LONG_TICKET);
      expect(entry).toMatchObject({ messageItems: 270, pages: 3, bot: `${RETAIL}@msging.net` });
      expect(fixtureMessages(LONG_TICKET)).toHaveLength(270);
    });

    test('returns every item once, oldest first, in pages of at most 100', async () => {
      const client = h.client(RETAIL);
      const pages = await collect(client.ticketMessages(LONG_TICKET, { tunnel: false }));
      const expected = fixtureMessages(LONG_TICKET).map((m) => m.id);

      expect(pages.map((p) => p.received)).toEqual([100, 100, 70]);
      expect(pages.map((p) => p.skip)).toEqual([0, 100, 200]);
      for (const p of pages) expect(p.messages.length).toBeLessThanOrEqual(100);
      const ids = pages.flatMap((p) => p.messages.map((m) => m.id));
      expect(ids).toEqual(expected);
      expect(new Set(ids).size).toBe(270);
      expect(pages.every((p) => p.duplicates === 0)).toBe(true);

      const dates = pages.flatMap((p) => p.messages.map((m) => Date.parse(m.sentAt ?? '')));
      expect(dates.every((d) => Number.isFinite(d))).toBe(true);
      for (let i = 1; i < dates.length; i++) expect(dates[i]).toBeGreaterThanOrEqual(dates[i - 1] as number);

      // What went over the wire: three commands, $skip stepping by 100, $take ≤ 100, ascending.
      const logged = commandsFor(h, `/tickets/${LONG_TICKET}/messages`);
      expect(logged).toHaveLength(3);
      for (const e of logged) {
        expect(e.status).toBe(200);
        expect(e.bot).toBe(`${RETAIL}@msging.net`);
        expect(e.command).toMatchObject({ method: 'get', to: 'postmaster@desk.msging.net' });
        const q = queryOf(e);
        expect(Number(q.get('$take'))).toBeLessThanOrEqual(100);
        expect(q.get('$ascending')).toBe('true');
      }
      expect(logged.map((e) => queryOf(e).get('$skip'))).toEqual(['0', '100', '200']);
      expect(logged.map((e) => queryOf(e).get('$take'))).toEqual(['100', '100', '100']);
      expect(client.sleeps).toEqual([]);
    });

    test('a smaller page size pages further and still ends on the short page', async () => {
      const client = h.client(RETAIL);
      const pages = await collect(client.ticketMessages(LONG_TICKET, { tunnel: false, pageSize: 60 }));
      expect(pages.map((p) => p.received)).toEqual([60, 60, 60, 60, 30]);
      expect(pages.flatMap((p) => p.messages.map((m) => m.id))).toEqual(
        fixtureMessages(LONG_TICKET).map((m) => m.id),
      );
      const logged = commandsFor(h, `/tickets/${LONG_TICKET}/messages`);
      expect(logged.map((e) => queryOf(e).get('$skip'))).toEqual(['0', '60', '120', '180', '240']);
      expect(logged.every((e) => queryOf(e).get('$take') === '60')).toBe(true);
    });

    test('drops items repeated when the list shifts between pages', async () => {
      // A scratch copy of the long ticket, so the shared one stays as the fixtures describe it.
      const original = fixtureMessages(LONG_TICKET);
      const ticket = {
        ...h.sim.store.ticketOf(`${RETAIL}@msging.net`, LONG_TICKET)?.resource,
        id: 'shifting-ticket',
      };
      h.sim.addTicket({ ticket, messages: original });
      const client = h.client(RETAIL);
      const seen: string[] = [];
      const duplicates: number[] = [];
      for await (const page of client.ticketMessages('shifting-ticket', { tunnel: false })) {
        seen.push(...page.messages.map((m) => m.id));
        duplicates.push(page.duplicates);
        if (page.index === 0) {
          // Two items appear before the cursor: page 2 now starts two items earlier.
          const early = [
            { ...original[0], id: 'late-arrival-1' },
            { ...original[0], id: 'late-arrival-2' },
          ];
          h.sim.addTicket({ ticket, messages: [...early, ...original] });
        }
      }
      expect(duplicates).toEqual([0, 2, 0]);
      expect(seen).toEqual(original.map((m) => m.id));
      expect(new Set(seen).size).toBe(seen.length);
    });
  });

  // ── tunnels ──────────────────────────────────────────────────────────────────────────────────

  describe('router bot (tunnel identities)', () => {
    test('getTunnel resolves the originator and messages are listed with getFromOwnerIfTunnel=true', async () => {
      const client = h.client(CLINIC);
      const ticket = await client.getTicket(TUNNEL_TICKET);
      expect(ticket.viaTunnel).toBe(true);
      expect(ticket.customerIdentity).toBe('9a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d@tunnel.msging.net');

      const tunnel = await client.getTunnel(ticket.customerIdentity as string);
      expect(tunnel).toMatchObject({
        originator: '573001234567@wa.gw.msging.net',
        owner: 'clinicavidasanarouter@msging.net',
        destination: `${CLINIC}@msging.net`,
      });
      const tunnelCall = commandsFor(h, '/tunnels/');
      expect(tunnelCall).toHaveLength(1);
      expect(tunnelCall[0]?.command).toMatchObject({
        method: 'get',
        to: 'postmaster@tunnel.msging.net',
        uri: '/tunnels/9a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
      });

      const messages = await allMessages(client, TUNNEL_TICKET, ticket.viaTunnel);
      expect(messages.map((m) => m.id)).toEqual(fixtureMessages(TUNNEL_TICKET).map((m) => m.id));
      expect(messages).toHaveLength(16);
      const logged = commandsFor(h, `/tickets/${TUNNEL_TICKET}/messages`);
      expect(logged).toHaveLength(1);
      expect(queryOf(logged[0] as RequestLogEntry).get('getFromOwnerIfTunnel')).toBe('true');
      expect(queryOf(logged[0] as RequestLogEntry).get('$ascending')).toBe('true');

      // The contact is stored under the tunnel identity.
      const contact = await client.getContact(ticket.customerIdentity as string);
      expect(contact?.identity).toBe(ticket.customerIdentity);
    });

    test('without the flag a router ticket reads as empty, and no flag is sent for plain tickets', async () => {
      const clinic = h.client(CLINIC);
      expect(await allMessages(clinic, TUNNEL_TICKET, false)).toEqual([]);
      const retail = h.client(RETAIL);
      expect(await allMessages(retail, SHORT_TICKET, false)).toHaveLength(18);
      const plain = commandsFor(h, `/tickets/${SHORT_TICKET}/messages`);
      expect(plain.every((e) => !queryOf(e).has('getFromOwnerIfTunnel'))).toBe(true);
    });

    test('an unknown tunnel is null', async () => {
      const client = h.client(CLINIC);
      expect(await client.getTunnel('00000000-0000-4000-8000-000000000000@tunnel.msging.net')).toBeNull();
    });
  });

  // ── media ────────────────────────────────────────────────────────────────────────────────────

  describe('media links', () => {
    test('expired link: 403, refresh, then 200 with the fixture bytes', async () => {
      const client = h.client(RETAIL);
      const messages = await allMessages(client, MEDIA_TICKET);
      const image = mediaLinks(messages).find((r) => r.uri.includes('Media_69db785a'));
      if (!image) throw new Error('fixture image missing from the messages');
      const item = manifest().find((m) => m.file === 'licuadora-rota.jpg') as ManifestItem;
      const fileBytes = fs.readFileSync(path.join(FIXTURES_DIR, 'media', item.file));
      expect(sha256(fileBytes)).toBe(item.sha256);

      // Links in responses point at the simulator's media host and are long expired.
      expect(new URL(image.uri).origin).toBe(h.sim.urls.mediaUrl);
      expect(isSecureMediaExpired(image.uri)).toBe(true);
      const expired = await download(image.uri);
      expect(expired.status).toBe(403);
      expect(expired.bytes.toString('utf8')).toContain('AuthenticationFailed');

      const fresh = await client.refreshMediaUri(image.uri);
      expect(fresh).not.toBe(image.uri);
      expect(new URL(fresh).origin).toBe(h.sim.urls.mediaUrl);
      expect(decodedPath(new URL(fresh).pathname)).toBe(decodedPath(item.path));
      expect(isSecureMediaExpired(fresh)).toBe(false);
      expect(mediaUriExpiry(fresh)?.getTime()).toBeGreaterThan(Date.now());
      const refreshCall = commandsFor(h, '/refresh-media-uri');
      expect(refreshCall[0]?.command).toMatchObject({
        method: 'set',
        to: 'postmaster@media.msging.net',
        type: 'text/plain',
      });

      const ok = await download(fresh);
      expect(ok.status).toBe(200);
      expect(ok.headers['content-type']).toBe('image/jpeg');
      expect(Number(ok.headers['content-length'])).toBe(item.size);
      expect(ok.sha256).toBe(item.sha256);
      expect(ok.bytes.equals(fileBytes)).toBe(true);

      // The old link stays dead after the refresh.
      expect((await download(image.uri)).status).toBe(403);
    });

    test('a forged or tampered signature is 403; an unknown path is 404', async () => {
      const client = h.client(RETAIL);
      const item = manifest().find((m) => m.file === 'nota-de-voz.ogg') as ManifestItem;
      const fresh = await client.refreshMediaUri(
        h.sim.publicUri(h.sim.signedMediaUri(item.path, new Date(0))),
      );
      expect((await download(fresh)).status).toBe(200);

      const forged = new URL(fresh);
      forged.searchParams.set('sig', Buffer.from('not the signature of this path').toString('base64'));
      expect((await download(forged.toString())).status).toBe(403);

      // Stretching `se` without re-signing must not work either.
      const stretched = new URL(fresh);
      stretched.searchParams.set('se', '2999-01-01T00:00:00Z');
      expect((await download(stretched.toString())).status).toBe(403);

      const unsigned = new URL(fresh);
      unsigned.search = '';
      expect((await download(unsigned.toString())).status).toBe(403);

      // Another blob's valid signature does not open this one.
      const other = manifest().find((m) => m.file === 'licuadora-rota.jpg') as ManifestItem;
      const otherFresh = new URL(
        await client.refreshMediaUri(h.sim.publicUri(`http://blip-media.local${other.path}`)),
      );
      const swapped = new URL(fresh);
      swapped.search = otherFresh.search;
      expect((await download(swapped.toString())).status).toBe(403);

      const unknown = await download(
        `${h.sim.urls.mediaUrl}/secure-medias/Media_does-not-exist?${new URL(fresh).search.slice(1)}`,
      );
      expect(unknown.status).toBe(404);
      expect((await download(`${h.sim.urls.mediaUrl}/public/nothing-here.png`)).status).toBe(404);

      const statuses = h.sim.requestLog.filter((e) => e.kind === 'media').map((e) => e.status);
      expect(statuses).toEqual([200, 403, 403, 403, 403, 404, 404]);
    });

    test('a queued truncate waits for a body to cut: a 404 before it does not use it up', async () => {
      const item = manifest().find((m) => !m.requiresSignature) as ManifestItem;
      h.sim.faults.enqueue({ kind: 'truncate', count: 1 });
      expect((await download(`${h.sim.urls.mediaUrl}/public/nothing-here.png`)).status).toBe(404);
      expect(await failureOf(download(`${h.sim.urls.mediaUrl}${item.path}`))).toBeInstanceOf(Error);
      const full = await download(`${h.sim.urls.mediaUrl}${item.path}`);
      expect(full.sha256).toBe(item.sha256);
      const outcomes = h.sim.requestLog.filter((e) => e.kind === 'media').map((e) => [e.status, e.outcome]);
      expect(outcomes).toEqual([
        [404, 'answered'],
        [200, 'truncated'],
        [200, 'answered'],
      ]);
    });

    test('every media link of every fixture ticket: refreshed bytes match media/manifest.json', async () => {
      const items = manifest();
      const byPath = new Map(items.map((m) => [decodedPath(m.path), m]));
      const served = new Set<string>();
      let missing = 0;
      for (const ticket of fixtureIndex().tickets) {
        const client = h.client(ticket.bot.replace('@msging.net', ''));
        const messages = await allMessages(
          client,
          ticket.id,
          ticket.customerIdentity.endsWith('@tunnel.msging.net'),
        );
        for (const ref of mediaLinks(messages)) {
          const url = new URL(ref.uri);
          if (url.origin !== h.sim.urls.mediaUrl) continue; // links to other hosts are not Blip media
          const item = byPath.get(decodedPath(url.pathname));
          if (!item) {
            // e.g. the failed HEIC upload: no blob behind it, and Blip cannot refresh it.
            missing++;
            expect((await download(ref.uri)).status).toBe(404);
            expect(await failureOf(client.refreshMediaUri(ref.uri))).toBeInstanceOf(BlipNotFoundError);
            continue;
          }
          const first = await download(ref.uri);
          if (item.requiresSignature) {
            expect(first.status).toBe(403);
          } else {
            expect(first.status).toBe(200);
          }
          const ok = await download(await client.refreshMediaUri(ref.uri));
          expect(ok.status).toBe(200);
          expect(ok.sha256).toBe(item.sha256);
          expect(ok.sha256).toBe(sha256(fs.readFileSync(path.join(FIXTURES_DIR, 'media', item.file))));
          served.add(item.file);
        }
      }
      expect(missing).toBeGreaterThanOrEqual(1);
      expect(served.size).toBeGreaterThanOrEqual(5);
      expect(served).toContain('orden-medica.jpg'); // the router bot's media
    });
  });

  // ── faults ───────────────────────────────────────────────────────────────────────────────────

  describe('faults map to typed errors and transient ones are retried', () => {
    // random 0.5 → jitter ×1.0: back-off asks for exactly 1 ms, then 2 ms.
    const faulty = (overrides = {}) => h.client(RETAIL, { random: () => 0.5, ...overrides });

    const persistent: Array<[string, QueuedFault, new (...args: never[]) => Error, string]> = [
      ['HTTP 500', { kind: 'error', status: 500 }, BlipServerError, '500'],
      ['HTTP 503', { kind: 'error', status: 503 }, BlipServerError, '503'],
      ['HTTP 504', { kind: 'gateway-timeout' }, BlipGatewayTimeoutError, '504'],
      ['dropped connection', { kind: 'drop' }, BlipConnectionError, 'drop'],
    ];

    test.each(persistent)(
      '%s on every attempt → its typed error after 3 attempts',
      async (_, fault, type, label) => {
        await queueFaults({ ...fault, count: 3, match: SHORT_TICKET });
        const client = faulty();
        const err = await failureOf(client.getTicket(SHORT_TICKET));
        expect(err).toBeInstanceOf(type);
        expect((err as { retryable: boolean }).retryable).toBe(true);
        expect(client.sleeps).toEqual([1, 2]);
        expect(client.retries.map((r) => [r.attempt, r.delayMs])).toEqual([
          [1, 1],
          [2, 2],
        ]);
        const logged = commandsFor(h, `/ticket/${SHORT_TICKET}`);
        expect(logged.map((e) => e.fault)).toEqual([label, label, label]);
      },
    );

    test.each(persistent)('%s once → retried and the call succeeds', async (_, fault, _type, label) => {
      await queueFaults({ ...fault, count: 1, match: SHORT_TICKET });
      const client = faulty();
      const ticket = await client.getTicket(SHORT_TICKET);
      expect(ticket.id).toBe(SHORT_TICKET);
      expect(client.sleeps).toEqual([1]);
      const logged = commandsFor(h, `/ticket/${SHORT_TICKET}`);
      expect(logged.map((e) => e.fault)).toEqual([label, null]);
      expect(logged[1]?.status).toBe(200);
      // Each attempt is a fresh command id.
      expect(new Set(logged.map((e) => e.command?.id)).size).toBe(2);
    });

    test('429 with Retry-After → BlipRateLimitedError; the client sleeps exactly what was asked', async () => {
      await queueFaults({ kind: 'rate-limit', retryAfterSeconds: 2, count: 3, match: SHORT_TICKET });
      const client = faulty();
      const err = await failureOf(client.getTicket(SHORT_TICKET));
      expect(err).toBeInstanceOf(BlipRateLimitedError);
      expect((err as BlipRateLimitedError).retryAfterMs).toBe(2000);
      expect((err as BlipRateLimitedError).httpStatus).toBe(429);
      expect(client.sleeps).toEqual([2000, 2000]);
      expect(commandsFor(h, `/ticket/${SHORT_TICKET}`).map((e) => e.status)).toEqual([429, 429, 429]);
    });

    test('429 once with Retry-After → one recorded sleep of that length, then success', async () => {
      await queueFaults({ kind: 'rate-limit', retryAfterSeconds: 3, count: 1 });
      const client = faulty();
      expect((await client.getContact('5511987654321@wa.gw.msging.net'))?.identity).toBe(
        '5511987654321@wa.gw.msging.net',
      );
      expect(client.sleeps).toEqual([3000]);
      expect(client.retries[0]?.error).toBeInstanceOf(BlipRateLimitedError);
    });

    test('429 asking for more than the client will wait is handed to the caller without sleeping', async () => {
      await queueFaults({ kind: 'rate-limit', retryAfterSeconds: 60, count: 1 });
      const client = faulty();
      const err = await failureOf(client.getTicket(SHORT_TICKET));
      expect(err).toBeInstanceOf(BlipRateLimitedError);
      expect((err as BlipRateLimitedError).retryAfterMs).toBe(60_000);
      expect(client.sleeps).toEqual([]);
      expect(commandsFor(h, `/ticket/${SHORT_TICKET}`)).toHaveLength(1);
    });

    test('429 without Retry-After → the documented ~2 min pause is handed to the caller', async () => {
      await queueFaults({ kind: 'rate-limit', retryAfterSeconds: null, count: 1 });
      const client = faulty();
      const err = await failureOf(client.getTicket(SHORT_TICKET));
      expect(err).toBeInstanceOf(BlipRateLimitedError);
      expect((err as BlipRateLimitedError).retryAfterMs).toBe(120_000);
      expect(client.sleeps).toEqual([]);
    });

    test('latency beyond the client timeout → BlipTimeoutError; once → retried and succeeds', async () => {
      await queueFaults({ kind: 'latency', latencyMs: 5_000, count: 1, match: SHORT_TICKET });
      const once = faulty({ timeoutMs: 300 });
      expect((await once.getTicket(SHORT_TICKET)).id).toBe(SHORT_TICKET);
      expect(once.sleeps).toEqual([1]);
      expect(once.retries[0]?.error).toBeInstanceOf(BlipTimeoutError);

      await queueFaults({ kind: 'latency', latencyMs: 5_000, count: 1, match: SHORT_TICKET });
      const noRetry = faulty({ timeoutMs: 300, retry: { retries: 0 } });
      const err = await failureOf(noRetry.getTicket(SHORT_TICKET));
      expect(err).toBeInstanceOf(BlipTimeoutError);
      expect(noRetry.sleeps).toEqual([]);
    });

    test('a request that is never answered → BlipTimeoutError after every attempt', async () => {
      await queueFaults({ kind: 'hang', count: 2, match: SHORT_TICKET });
      const client = faulty({ timeoutMs: 300, retry: { retries: 1, initialDelayMs: 1 } });
      const err = await failureOf(client.getTicket(SHORT_TICKET));
      expect(err).toBeInstanceOf(BlipTimeoutError);
      expect(client.sleeps).toEqual([1]);
      expect(commandsFor(h, `/ticket/${SHORT_TICKET}`).map((e) => e.fault)).toEqual(['hang', 'hang']);
    });

    test('a transient fault in the middle of paging is retried without losing or repeating items', async () => {
      await queueFaults(
        { kind: 'error', status: 502, count: 1, match: '$skip=100' },
        { kind: 'drop', count: 1, match: '$skip=200' },
      );
      const client = faulty();
      const messages = await allMessages(client, LONG_TICKET);
      expect(messages.map((m) => m.id)).toEqual(fixtureMessages(LONG_TICKET).map((m) => m.id));
      expect(client.sleeps).toEqual([1, 1]);
      expect(client.retries.map((r) => (r.error as Error).constructor)).toEqual([
        BlipServerError,
        BlipConnectionError,
      ]);
      expect(commandsFor(h, `/tickets/${LONG_TICKET}/messages`).map((e) => e.fault)).toEqual([
        null,
        '502',
        null,
        'drop',
        null,
      ]);
    });

    test('fault settings set through the admin API are visible and reset', async () => {
      const state = (await admin('POST', 'faults', {
        retryAfterSeconds: 1,
        next: [{ kind: 'rate-limit', count: 2 }],
      })) as { settings: { retryAfterSeconds: number }; queue: Array<{ kind: string; remaining: number }> };
      expect(state.settings.retryAfterSeconds).toBe(1);
      expect(state.queue).toMatchObject([{ kind: 'rate-limit', remaining: 2 }]);
      const client = faulty();
      await client.getTicket(SHORT_TICKET);
      expect(client.sleeps).toEqual([1000, 1000]);
      await admin('POST', 'reset');
      const after = (await admin('GET', 'faults')) as { queue: unknown[] };
      expect(after.queue).toEqual([]);
      const log = (await admin('GET', 'requests')) as { requests: unknown[] };
      expect(log.requests).toEqual([]);
    });
  });

  // ── keys and scoping ─────────────────────────────────────────────────────────────────────────

  describe('keys, scoping and missing resources', () => {
    test.each(fixtureIndex().invalidAuthorizations.map((a) => [a.why, a.authorization]))(
      'invalid key (%s) → BlipAuthError, or InvalidBotKeyError before any call',
      async (_why, authorization) => {
        let client: ReturnType<typeof createBlipClient>;
        try {
          client = createBlipClient({
            baseUrl: h.commandsUrl,
            authorization,
            retry: { retries: 2, initialDelayMs: 1 },
            sleep: async () => {},
          });
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidBotKeyError);
          expect((err as Error).message).not.toContain(authorization.replace(/^\S+ /, '') || '@@');
          expect(h.sim.requestLog).toEqual([]);
          // The simulator refuses such a header as well.
          const res = await request(h.commandsUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
            body: JSON.stringify({
              id: 'x',
              to: 'postmaster@desk.msging.net',
              method: 'get',
              uri: `/ticket/${SHORT_TICKET}`,
            }),
          });
          await res.body.dump();
          expect(res.statusCode).toBe(401);
          return;
        }
        try {
          const err = await failureOf(client.getTicket(SHORT_TICKET));
          expect(err).toBeInstanceOf(BlipAuthError);
          expect((err as BlipAuthError).httpStatus).toBe(401);
          expect((err as BlipAuthError).retryable).toBe(false);
          expect((err as Error).message).not.toContain(authorization.slice(4));
          // Not retried.
          const logged = commandsFor(h, `/ticket/${SHORT_TICKET}`);
          expect(logged.map((e) => [e.status, e.bot])).toEqual([[401, null]]);
        } finally {
          await client.close();
        }
      },
    );

    test('the fixture key of each bot is accepted', async () => {
      for (const bot of fixtureIndex().bots) {
        const client = h.client(bot.authorization);
        expect(client.bot.identity).toBe(bot.identity);
        const own = fixtureIndex().tickets.find((t) => t.bot === bot.identity);
        expect((await client.getTicket(own?.id as string)).ownerIdentity).toBe(bot.identity);
      }
    });

    test("another bot's ticket is not found, in both directions", async () => {
      const retail = h.client(RETAIL);
      const clinic = h.client(CLINIC);
      expect(await failureOf(retail.getTicket(TUNNEL_TICKET))).toBeInstanceOf(BlipNotFoundError);
      expect(await failureOf(clinic.getTicket(SHORT_TICKET))).toBeInstanceOf(BlipNotFoundError);
      expect(await failureOf(allMessages(clinic, SHORT_TICKET))).toBeInstanceOf(BlipNotFoundError);
      expect(await failureOf(allMessages(retail, TUNNEL_TICKET, true))).toBeInstanceOf(BlipNotFoundError);
      // Nor their contacts or tunnels.
      expect(await retail.getTunnel('9a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d')).toBeNull();
      expect(await clinic.getContact('5511987654321@wa.gw.msging.net')).toBeNull();
      const err = (await failureOf(retail.getTicket(TUNNEL_TICKET))) as BlipNotFoundError;
      expect(err.reasonCode).toBe(67);
      expect(err.retryable).toBe(false);
      expect(retail.sleeps).toEqual([]);
    });

    test('an unknown ticket is not found; a missing contact is null', async () => {
      const client = h.client(RETAIL);
      const err = await failureOf(client.getTicket('00000000-0000-4000-8000-000000000000'));
      expect(err).toBeInstanceOf(BlipNotFoundError);
      expect(await failureOf(allMessages(client, '00000000-0000-4000-8000-000000000000'))).toBeInstanceOf(
        BlipNotFoundError,
      );
      expect(await client.getContact('5599999999999@wa.gw.msging.net')).toBeNull();
      const contact = await client.getContact('5511987654321@wa.gw.msging.net');
      expect(contact?.identity).toBe('5511987654321@wa.gw.msging.net');
      const contactCalls = commandsFor(h, '/contacts/');
      expect(contactCalls.map((e) => e.command?.to)).toEqual([
        'postmaster@crm.msging.net',
        'postmaster@crm.msging.net',
      ]);
      expect(contactCalls.map((e) => e.lime)).toEqual([
        { status: 'failure', reasonCode: 67 },
        { status: 'success' },
      ]);
      expect(client.sleeps).toEqual([]);
    });
  });
});

// ── a fixture directory the simulator has never seen ─────────────────────────────────────────

const MINI_BOT = 'padariadobairro';
const MINI_SECRET = 'p40-de-queijo!';
const MINI_TICKET = 'a7c1e2d3-0b4f-4e5a-9c6d-7e8f90a1b2c3';
const MINI_CUSTOMER = '5531988887777@wa.gw.msging.net';
const MINI_MEDIA_PATH = '/secure-medias/Media_3f0e9d1c-2b4a-4c6d-8e7f-a1b2c3d4e5f6';

interface MiniFixtures {
  dir: string;
  mediaBytes: Buffer;
  authorization: string;
}

function writeMiniFixtures(): MiniFixtures {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blip-fixtures-'));
  const json = (rel: string, value: unknown) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), `${JSON.stringify(value, null, 2)}\n`);
  };
  const accessKey = Buffer.from(MINI_SECRET).toString('base64');
  const authorization = `Key ${Buffer.from(`${MINI_BOT}:${MINI_SECRET}`).toString('base64')}`;
  json('index.json', {
    bots: [{ identifier: MINI_BOT, identity: `${MINI_BOT}@msging.net`, accessKey, authorization }],
    tickets: [{ id: MINI_TICKET, bot: `${MINI_BOT}@msging.net`, messageItems: 3, pages: 1 }],
  });
  const owner = `${MINI_BOT}@msging.net`;
  const ticket = {
    id: MINI_TICKET,
    sequentialId: 7,
    ownerIdentity: owner,
    customerIdentity: MINI_CUSTOMER,
    customerDomain: 'wa.gw.msging.net',
    agentIdentity: 'ana%40padaria.com.br@blip.ai',
    provider: 'Lime',
    status: 'ClosedAttendant',
    storageDate: '2025-02-01T12:00:00.000Z',
    openDate: '2025-02-01T12:01:00.000Z',
    closeDate: '2025-02-01T12:09:00.000Z',
    closed: true,
    closedBy: 'ana%40padaria.com.br@blip.ai',
    team: 'Balcão',
    tags: ['encomenda'],
  };
  const base = `tickets/${MINI_TICKET}`;
  json(`${base}/ticket.json`, {
    type: 'application/vnd.iris.ticket+json',
    resource: ticket,
    method: 'get',
    status: 'success',
  });
  const mediaBytes = randomBytes(1234);
  const linkAtFetch = signedMediaUri(
    'http://blip-media.local',
    MINI_MEDIA_PATH,
    new Date('2025-02-01T12:11:00.000Z'),
  );
  json(`${base}/messages-page-1.json`, {
    type: 'application/vnd.lime.collection+json',
    resource: {
      total: 3,
      itemType: 'application/vnd.iris.thread-message+json',
      items: [
        {
          id: MINI_TICKET,
          direction: 'sent',
          type: 'application/vnd.iris.ticket+json',
          content: { ...ticket, status: 'Waiting', closed: false },
          date: '2025-02-01T12:00:00.000Z',
        },
        {
          id: 'c0ffee00-0000-4000-8000-000000000001',
          direction: 'received',
          type: 'text/plain',
          content: 'Bom dia! Quero encomendar 30 pães de queijo.',
          date: '2025-02-01T12:02:00.000Z',
          status: 'consumed',
        },
        {
          id: 'fwd:fwd:c0ffee00-0000-4000-8000-000000000002',
          direction: 'sent',
          type: 'application/vnd.lime.media-link+json',
          content: { type: 'image/jpeg', size: mediaBytes.length, uri: linkAtFetch, title: 'cardapio.jpg' },
          date: '2025-02-01T12:05:00.000Z',
          status: 'consumed',
          metadata: { '#messageEmitter': 'Human' },
        },
      ],
    },
    method: 'get',
    status: 'success',
  });
  json(`${base}/contact.json`, {
    type: 'application/vnd.lime.contact+json',
    resource: {
      identity: MINI_CUSTOMER,
      name: 'Dona Lurdes',
      phoneNumber: '+5531988887777',
      city: 'Belo Horizonte',
    },
    method: 'get',
    status: 'success',
  });
  fs.mkdirSync(path.join(dir, 'media'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'media', 'cardapio.jpg'), mediaBytes);
  json('media/manifest.json', {
    items: [
      {
        path: MINI_MEDIA_PATH,
        file: 'cardapio.jpg',
        contentType: 'image/jpeg',
        size: mediaBytes.length,
        sha256: sha256(mediaBytes),
        requiresSignature: true,
      },
    ],
  });
  return { dir, mediaBytes, authorization };
}

describe('a fixture directory written by the test', () => {
  let mini: MiniFixtures;
  beforeAll(() => {
    mini = writeMiniFixtures();
  });
  afterAll(() => {
    fs.rmSync(mini.dir, { recursive: true, force: true });
  });

  test('is served and reads back through the client', async () => {
    const h = await startHarness({ fixturesDir: mini.dir });
    try {
      expect(h.sim.bots.map((b) => b.identity)).toEqual([`${MINI_BOT}@msging.net`]);
      expect(h.sim.authorizationOf(MINI_BOT)).toBe(mini.authorization);
      const client = h.client(mini.authorization);

      const ticket = await client.getTicket(MINI_TICKET);
      expect(ticket).toMatchObject({
        id: MINI_TICKET,
        sequentialId: 7,
        ownerIdentity: `${MINI_BOT}@msging.net`,
        customerIdentity: MINI_CUSTOMER,
        channel: 'WhatsApp',
        viaTunnel: false,
        agentEmail: 'ana@padaria.com.br',
        status: 'ClosedAttendant',
        closed: true,
        tags: ['encomenda'],
      });

      const pages = await collect(
        client.ticketMessages(MINI_TICKET, { tunnel: false, customerIdentity: MINI_CUSTOMER }),
      );
      expect(pages).toHaveLength(1);
      const messages = pages.flatMap((p) => p.messages);
      expect(messages.map((m) => [m.id, m.direction])).toEqual([
        [MINI_TICKET, 'system'],
        ['c0ffee00-0000-4000-8000-000000000001', 'customer'],
        ['fwd:fwd:c0ffee00-0000-4000-8000-000000000002', 'agent'],
      ]);
      expect(messages[1]?.text).toBe('Bom dia! Quero encomendar 30 pães de queijo.');
      expect(messages[1]?.sender).toBe(MINI_CUSTOMER);

      const contact = await client.getContact(MINI_CUSTOMER);
      expect(contact).toMatchObject({ identity: MINI_CUSTOMER, name: 'Dona Lurdes', city: 'Belo Horizonte' });
      expect(await client.getContact('5531900000000@wa.gw.msging.net')).toBeNull();

      const [link] = mediaLinks(messages);
      if (!link) throw new Error('media link missing');
      expect(link).toMatchObject({
        contentType: 'image/jpeg',
        size: mini.mediaBytes.length,
        title: 'cardapio.jpg',
      });
      expect(new URL(link.uri).origin).toBe(h.sim.urls.mediaUrl);
      expect((await download(link.uri)).status).toBe(403);
      const ok = await download(await client.refreshMediaUri(link.uri));
      expect(ok.status).toBe(200);
      expect(ok.sha256).toBe(sha256(mini.mediaBytes));
      expect(ok.bytes.equals(mini.mediaBytes)).toBe(true);

      // The shared fixtures' bots and tickets are not here.
      expect(() => h.sim.authorizationOf(RETAIL)).toThrow();
      expect(await failureOf(client.getTicket(SHORT_TICKET))).toBeInstanceOf(BlipNotFoundError);
    } finally {
      await h.close();
    }
  });

  test('`npm run blip-sim -- --fixtures <dir> --port 0` starts, answers /_admin/health and stops', async () => {
    const child: ChildProcess = spawn(
      'npm',
      ['run', 'blip-sim', '--', '--fixtures', mini.dir, '--port', '0'],
      {
        cwd: path.resolve(__dirname, '../..'),
        detached: true, // own process group, so npm, tsx and node stop together
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const stop = () => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    };
    try {
      const deadline = Date.now() + 60_000;
      let url: string | undefined;
      while (url === undefined) {
        url = /Blip simulator on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
        if (url) break;
        if (child.exitCode !== null) throw new Error(`blip-sim exited early:\n${output}`);
        if (Date.now() > deadline) throw new Error(`blip-sim did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      let health:
        | { status: string; bots: string[]; tickets: number; media: number; fixtures: string }
        | undefined;
      while (!health) {
        try {
          const res = await request(`${url}/_admin/health`, { headersTimeout: 2_000, bodyTimeout: 2_000 });
          if (res.statusCode === 200) health = (await res.body.json()) as typeof health;
          else await res.body.dump();
        } catch {
          // not listening yet
        }
        if (!health) {
          if (Date.now() > deadline) throw new Error(`blip-sim /_admin/health never answered:\n${output}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(health).toMatchObject({
        status: 'ok',
        bots: [`${MINI_BOT}@msging.net`],
        tickets: 1,
        media: 1,
        fixtures: path.resolve(mini.dir),
      });

      const client = createBlipClient({
        baseUrl: `${url}/commands`,
        authorization: mini.authorization,
        timeoutMs: 5_000,
      });
      try {
        expect((await client.getTicket(MINI_TICKET)).customerIdentity).toBe(MINI_CUSTOMER);
      } finally {
        await client.close();
      }
    } finally {
      stop();
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        exited,
        new Promise<'timeout'>((r) => {
          timer = setTimeout(() => r('timeout'), 10_000);
        }),
      ]);
      clearTimeout(timer);
      if (code === 'timeout' && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }, 90_000);
});
