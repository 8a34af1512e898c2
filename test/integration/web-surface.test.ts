import { randomBytes } from 'node:crypto';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import { addClosedTicket, mediaLinkMessage } from '../support/generated-tickets';
import { SAME_ORIGIN } from '../support/session-api';

/**
 * The web surface as an attacker would try it (issue 13, "Abuse and the web surface"): rate limits
 * escaped with a forged X-Forwarded-For, or shared by every client behind an ingress; a foreign
 * site acting with the victim's session cookie (CSRF); archived media a browser would run.
 */

let proxied: ArchiveEnv; // TRUST_PROXY=1: one ingress in front
let direct: ArchiveEnv; // the default: no proxy trusted

const LATAM = 'atendimentolatam';
const LATAM_TICKET = 'b598352e-77f5-546c-a017-5ec108ed50ba';
const EVIL = 'https://evil.example';
const start = Date.parse('2025-09-01T10:00:00.000Z');

const keyEnv = () => ({
  ARCHIVE_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
  SESSION_SECRET: randomBytes(32).toString('hex'),
  SEARCH_RATE_LIMIT_PER_MINUTE: '2',
});

beforeAll(async () => {
  proxied = await startArchiveEnv({ env: { ...keyEnv(), TRUST_PROXY: '1' } });
  direct = await startArchiveEnv({ env: keyEnv(), worker: false });
  const res = await proxied.webhook(LATAM_TICKET, botAuthorization(LATAM));
  expect(res.statusCode).toBe(202);
  await proxied.result(res.body.workflowId as string);
});
afterAll(async () => {
  await proxied?.close();
  await direct?.close();
});

const search = (env: ArchiveEnv, headers: Record<string, string>, remoteAddress?: string) =>
  env.app.inject({
    method: 'GET',
    url: '/v1/tickets?q=x',
    headers,
    ...(remoteAddress ? { remoteAddress } : {}),
  });

describe('TRUST_PROXY: rate limits key on the real client', () => {
  test('behind one trusted ingress, two clients have separate buckets', async () => {
    const a = { 'x-forwarded-for': '198.51.100.1' };
    const b = { 'x-forwarded-for': '198.51.100.2' };
    // No session: each request is counted against the client address, then refused 401.
    expect((await search(proxied, a)).statusCode).toBe(401);
    expect((await search(proxied, a)).statusCode).toBe(401);
    expect((await search(proxied, a)).statusCode).toBe(429);
    // Another customer behind the same ingress is not throttled by the first one.
    expect((await search(proxied, b)).statusCode).toBe(401);
  });

  test('with the default, a forged X-Forwarded-For does not escape the limit', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 4; i++)
      codes.push((await search(direct, { 'x-forwarded-for': `203.0.113.${i}` })).statusCode);
    expect(codes).toEqual([401, 401, 429, 429]);
  });

  test('a hop count trusts only a proxy on a private network, not a client on the internet', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 4; i++)
      codes.push((await search(proxied, { 'x-forwarded-for': `192.0.2.${i}` }, '203.0.113.50')).statusCode);
    expect(codes).toEqual([401, 401, 429, 429]);
  });
});

describe('CSRF: cookie-authenticated changes come from the archive itself', () => {
  let cookie: string;
  beforeAll(async () => {
    const login = await proxied.app.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { 'content-type': 'application/json', ...SAME_ORIGIN },
      payload: JSON.stringify({ auth: botAuthorization(LATAM), user: 'ana@loja.example' }),
    });
    expect(login.statusCode).toBe(200);
    cookie = String(login.headers['set-cookie']).split(';')[0] as string;
  });
  const me = () => proxied.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie } });
  const exportCount = async () =>
    (await proxied.db.query('select count(*)::int as n from exports')).rows[0].n as number;

  test('a foreign page cannot start an export, log out everywhere or log out with the cookie', async () => {
    const before = await exportCount();
    const forged: Array<{ method: 'POST' | 'DELETE'; url: string; headers: Record<string, string> }> = [
      { method: 'POST', url: `/v1/tickets/${LATAM_TICKET}/exports`, headers: { origin: EVIL } },
      { method: 'POST', url: '/v1/session/revoke-all', headers: { origin: EVIL } },
      { method: 'DELETE', url: '/v1/session', headers: { origin: EVIL } },
      // No Origin: the Referer decides; a sandboxed frame sends Origin: null.
      { method: 'POST', url: '/v1/session/revoke-all', headers: { referer: `${EVIL}/page.html` } },
      { method: 'POST', url: '/v1/session/revoke-all', headers: { origin: 'null' } },
      { method: 'POST', url: '/v1/session/revoke-all', headers: {} },
      // Look-alike hosts.
      { method: 'POST', url: '/v1/session/revoke-all', headers: { origin: 'http://localhost.evil.example' } },
      {
        method: 'POST',
        url: '/v1/session/revoke-all',
        headers: { origin: 'http://127.0.0.1:3000.evil.example' },
      },
    ];
    for (const req of forged) {
      const res = await proxied.app.inject({ ...req, headers: { ...req.headers, cookie } });
      expect([req, res.statusCode]).toEqual([req, 403]);
      expect(res.json().message).toMatch(/cross-site request/);
    }
    expect(await exportCount()).toBe(before);
    expect((await me()).statusCode).toBe(200);
  });

  test('the archive’s own pages, Key-authenticated callers and Blip’s webhook still work', async () => {
    const own = await proxied.app.inject({
      method: 'POST',
      url: `/v1/tickets/${LATAM_TICKET}/exports`,
      headers: { cookie, ...SAME_ORIGIN },
    });
    expect(own.statusCode).toBe(202);
    const viaReferer = await proxied.app.inject({
      method: 'POST',
      url: `/v1/tickets/${LATAM_TICKET}/exports`,
      headers: { cookie, referer: 'http://localhost/tickets/x' },
    });
    expect(viaReferer.statusCode).toBe(202);
    // Authorization: Key cannot be added by a foreign page; the cookie is then not used at all.
    const withKey = await proxied.app.inject({
      method: 'POST',
      url: `/v1/tickets/${LATAM_TICKET}/exports`,
      headers: { cookie, origin: EVIL, authorization: botAuthorization(LATAM) },
    });
    expect(withKey.statusCode).toBe(202);
    const hook = await proxied.app.inject({
      method: 'POST',
      url: '/v1/tickethistory',
      headers: { 'content-type': 'application/json', origin: EVIL },
      payload: JSON.stringify({ ticket: LATAM_TICKET, auth: botAuthorization(LATAM) }),
    });
    expect(hook.statusCode).toBe(202);
    // PUBLIC_API_URL's origin counts as the archive's own (the API reached under its public name).
    const publicOrigin = new URL(proxied.config.PUBLIC_API_URL).origin;
    const out = await proxied.app.inject({
      method: 'DELETE',
      url: '/v1/session',
      headers: { cookie, origin: publicOrigin },
    });
    expect(out.statusCode).toBeLessThan(300);
  });
});

describe('media a browser could execute is only handed out as a download', () => {
  const payloads = [
    {
      type: 'image/svg+xml',
      body: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>',
    },
    { type: 'text/html', body: '<script>alert(document.domain)</script>' },
    {
      type: 'application/xhtml+xml',
      body: '<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>',
    },
    {
      type: 'text/xml',
      body: '<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>',
    },
    { type: 'application/javascript', body: 'alert(document.domain)' },
    { type: 'application/x-unknown-thing', body: '<script>alert(1)</script>' },
  ];
  let ticketId: string;
  beforeAll(async () => {
    const media = [
      ...payloads.map((p) => ({
        type: p.type,
        added: proxied.sim.addMedia({ contentType: p.type, bytes: Buffer.from(p.body) }),
      })),
      {
        type: 'image/png',
        added: proxied.sim.addMedia({ contentType: 'image/png', generate: { size: 2048, seed: 5 } }),
      },
    ];
    ticketId = addClosedTicket(proxied.sim, {
      bot: LATAM,
      start,
      contactName: 'Cliente Mídia',
      messages: (id) =>
        media.map((m, i) =>
          mediaLinkMessage(`ws-${id}-${i}`, start + 1000 * (i + 1), {
            type: m.type,
            uri: m.added.uri,
            size: m.added.size,
          }),
        ),
    });
    const res = await proxied.webhook(ticketId, botAuthorization(LATAM));
    expect(res.statusCode).toBe(202);
    await proxied.result(res.body.workflowId as string);
  });

  test('an archived SVG, HTML, XML, script or unknown application/* link is not rendered', async () => {
    const res = await proxied.app.inject({
      method: 'GET',
      url: `/v1/tickets/${ticketId}`,
      headers: { authorization: botAuthorization(LATAM) },
    });
    expect(res.statusCode).toBe(200);
    const links = (
      res.json().messages as Array<{
        media: Array<{ contentType: string; url: string | null; status: string }>;
      }>
    ).flatMap((m) => m.media);
    expect(links.map((l) => [l.contentType, l.status])).toEqual([
      ...payloads.map((p) => [p.type, 'stored']),
      ['image/png', 'stored'],
    ]);
    for (const link of links) {
      const fetched = await fetch(link.url as string);
      expect(fetched.status).toBe(200);
      const served = [
        link.contentType,
        fetched.headers.get('content-type'),
        fetched.headers.get('content-disposition'),
      ];
      if (link.contentType === 'image/png') {
        // Safe types stay viewable inline.
        expect(served).toEqual(['image/png', 'image/png', null]);
        continue;
      }
      expect(served).toEqual([link.contentType, 'application/octet-stream', 'attachment']);
      // Real GCS answers with these whatever the object says (objects archived before this change).
      const params = new URL(link.url as string).searchParams;
      expect(params.get('response-content-type')).toBe('application/octet-stream');
      expect(params.get('response-content-disposition')).toBe('attachment');
      await fetched.arrayBuffer();
    }
  });
});
