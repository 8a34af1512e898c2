/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Frame, Page } from 'puppeteer-core';
import { fixtureIndex } from '../../tools/harness/blip-fixtures';
import { launchChromium, startUiEnv, type UiEnv } from '../support/e2e-env';

/**
 * The extension as agents meet it: inside the Blip portal, a cross-site https page framing the app.
 * Chromium resolves `portal.blip.ai` and `vault.test` to loopback, where a TLS-terminating proxy on
 * port 443 (test certificate, as an ingress would be) serves a fake portal page for the first and
 * forwards the second to the real API process (X-Forwarded-Proto: https). Third-party cookies are
 * blocked as Safari, Firefox and Chromium's phase-out do, so only a `Partitioned` session cookie
 * survives. Everything happens in the frame: hand-off login, search, a ticket, a PDF export and its
 * download. The default frame-ancestors is what lets the portal frame the app.
 */

const PORTAL = 'portal.blip.ai';
const VAULT = 'vault.test';
const LATAM = 'atendimentolatam';
const JOSE = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67'; // José Luis Hernández Ruiz, #1043
const PORTAL_USER = 'agente.portal@lojaexemplo.com.br';
const ARTIFACTS = path.resolve(__dirname, '../artifacts');
const WAIT = 20_000;

let env: UiEnv;
let browser: Browser;
let proxy: https.Server;
let certDir: string;
let page: Page;
let frame: Frame;

/** A self-signed certificate for both host names, made by the openssl binary (node:crypto makes no X.509). */
function makeCertificate(dir: string): { key: Buffer; cert: Buffer } {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${VAULT}`,
      '-addext',
      `subjectAltName=DNS:${VAULT},DNS:${PORTAL}`,
    ],
    { stdio: 'pipe' },
  );
  return { key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
}

/** The portal page: the extension in an iframe filling the panel, answering iframe-message-proxy requests. */
function portalPage(accessKey: string): string {
  return `<!doctype html><html><head><title>Blip</title>
<style>html,body{margin:0;height:100%;overflow:hidden}iframe{border:0;width:100%;height:100%;display:block}</style>
</head><body>
<iframe id="ext" title="ticket-vault" src="https://${VAULT}/"></iframe>
<script>
window.calls = [];
window.addEventListener('message', (event) => {
  if (event.origin !== 'https://${VAULT}') return;
  const data = event.data || {};
  const msg = data.message || {};
  const id = data.trackingProperties && data.trackingProperties.id;
  if (!id || typeof msg.action !== 'string') return;
  window.calls.push(msg.action);
  let response;
  switch (msg.action) {
    case 'blipEvent:getApplication':
      response = { shortName: ${JSON.stringify(LATAM)}, name: 'Loja Exemplo', applicationJson: { identifier: ${JSON.stringify(LATAM)}, accessKey: ${JSON.stringify(accessKey)} } };
      break;
    case 'blipEvent:sendCommand':
      response = { fullName: 'Agente Portal', email: ${JSON.stringify(PORTAL_USER)}, identity: 'agente.portal%40lojaexemplo.com.br@blip.ai' };
      break;
    case 'blipEvent:getCurrentLanguage':
      response = 'pt';
      break;
    default:
      event.source.postMessage({ error: 'unsupported', trackingProperties: { id } }, event.origin);
      return;
  }
  event.source.postMessage({ response, trackingProperties: { id } }, event.origin);
});
</script></body></html>`;
}

/** TLS on 127.0.0.1:443: the portal page by Host, and the API behind it for vault.test. */
function startProxy(
  tls: { key: Buffer; cert: Buffer },
  apiPort: number,
  html: string,
): Promise<https.Server> {
  const server = https.createServer(tls, (req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (host === PORTAL) {
      res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
      res.end(req.url === '/' ? html : 'not found');
      return;
    }
    if (host !== VAULT) {
      res.writeHead(421).end();
      return;
    }
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: apiPort,
        method: req.method,
        path: req.url,
        headers: {
          ...req.headers,
          'x-forwarded-proto': 'https',
          'x-forwarded-for': req.socket.remoteAddress ?? '127.0.0.1',
          'x-forwarded-host': req.headers.host ?? VAULT,
        },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(new Error(`the portal test needs 127.0.0.1:443 for its TLS proxy: ${(err as Error).message}`)),
    );
    server.listen(443, '127.0.0.1', () => resolve(server));
  });
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, name) });
}

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-portal-cert-'));
  const tls = makeCertificate(certDir);
  // The ingress is trusted (TRUST_PROXY), so the API sees https from X-Forwarded-Proto and
  // COOKIE_SECURE=auto (the default) gives the cookies a third-party frame keeps.
  env = await startUiEnv({
    env: { UI_FRAME_ANCESTORS: undefined, TRUST_PROXY: '127.0.0.1', COOKIE_SECURE: 'auto' },
  });
  const port = Number(new URL(env.baseUrl).port);
  const bot = fixtureIndex().bots.find((b) => b.identifier === LATAM);
  proxy = await startProxy(tls, port, portalPage(bot?.accessKey as string));
  browser = await launchChromium([
    `--host-resolver-rules=MAP ${PORTAL} 127.0.0.1, MAP ${VAULT} 127.0.0.1`,
    '--ignore-certificate-errors',
    // Third-party cookies blocked, as Safari and Firefox do and Chromium's phase-out would.
    '--test-third-party-cookie-phaseout',
  ]);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (proxy) await new Promise((resolve) => proxy.close(resolve));
  await env?.close();
  if (certDir) fs.rmSync(certDir, { recursive: true, force: true });
}, 120_000);

describe('inside the Blip portal (cross-site https iframe)', () => {
  test('the hand-off logs in within the frame, in the portal language, as the portal user', async () => {
    const context = await browser.createBrowserContext();
    page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    await page.setViewport({ width: 1024, height: 700 });
    await page.setExtraHTTPHeaders({ 'accept-language': 'en-US,en;q=0.8' });
    await page.goto(`https://${PORTAL}/`);
    const handle = await page.waitForSelector('#ext');
    frame = (await handle?.contentFrame()) as Frame;
    expect(frame).toBeTruthy();
    // Either the search screen (logged in) or the key form with the reason; never a spinner.
    await frame.waitForFunction(
      () => document.querySelector('#search-title') || document.querySelector('#portal-failure'),
      { timeout: WAIT },
    );
    const failure = await frame
      .$eval('#portal-failure', (e) => e.getAttribute('data-reason'))
      .catch(() => null);
    if (failure) await shot('portal-failed.png');
    expect({ failure, url: new URL(frame.url()).pathname }).toEqual({ failure: null, url: '/' });
    expect(new URL(frame.url()).host).toBe(VAULT);
    // Portuguese, as the portal said (the browser asked for English).
    expect(await frame.$eval('html', (h) => h.lang)).toBe('pt-BR');
    expect(await frame.$eval('label[for=f-name]', (l) => l.textContent)).toBe('Nome do contato');
    expect(await page.evaluate(() => (window as unknown as { calls: string[] }).calls)).toEqual(
      expect.arrayContaining(['blipEvent:getApplication', 'blipEvent:getCurrentLanguage']),
    );
    // The session is the bot's tenant, the portal user recorded as the actor.
    const session = await frame.evaluate(async () => (await fetch('/v1/session')).json());
    expect(session).toMatchObject({ tenantId: LATAM, actor: `${PORTAL_USER} (claimed)` });
    // The cookie the browser kept: partitioned under the portal's site.
    const client = await browser.target().createCDPSession();
    const { cookies } = (await client.send('Storage.getCookies', {
      browserContextId: (page.browserContext() as unknown as { id: string }).id,
    })) as {
      cookies: {
        name: string;
        sameSite?: string;
        secure: boolean;
        partitionKey?: { topLevelSite: string };
      }[];
    };
    const tv = cookies.find((c) => c.name === 'tv_session');
    expect(tv).toMatchObject({
      secure: true,
      sameSite: 'None',
      partitionKey: { topLevelSite: 'https://blip.ai' },
    });
    const lang = cookies.find((c) => c.name === 'tv_lang');
    expect(lang).toMatchObject({ secure: true, partitionKey: { topLevelSite: 'https://blip.ai' } });
    await frame.waitForSelector('.results .ticket-row');
    await shot('portal-search.png');
  });

  test('the language is kept: a reload of the frame stays Portuguese and logged in', async () => {
    await frame.goto(`https://${VAULT}/`);
    await frame.waitForSelector('#search-title');
    expect(await frame.$eval('label[for=f-name]', (l) => l.textContent)).toBe('Nome do contato');
  });

  test('search, then a ticket whose first screen at 1024×700 shows messages', async () => {
    await frame.waitForSelector('html[data-hydrated]');
    await frame.type('#f-name', 'jose');
    await frame.focus('#f-name');
    await page.keyboard.press('Enter');
    await frame.waitForFunction(() => new URL(location.href).searchParams.get('name') === 'jose');
    await frame.waitForFunction(
      (id: string) =>
        Array.from(document.querySelectorAll('.results .ticket-row'))
          .map((r) => (r as HTMLElement).dataset.ticketId)
          .join() === id,
      { timeout: WAIT },
      JOSE,
    );
    await Promise.all([frame.waitForSelector('#ticket-title'), frame.click(`[data-ticket-id="${JOSE}"] a`)]);
    expect(new URL(frame.url()).pathname).toBe(`/tickets/${JOSE}`);
    await frame.waitForSelector('.conversation .msg');
    const visible = await frame.evaluate(
      () =>
        Array.from(document.querySelectorAll('.conversation .msg')).filter((m) => {
          const r = m.getBoundingClientRect();
          return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
        }).length,
    );
    expect(await frame.evaluate(() => [window.innerWidth, window.innerHeight])).toEqual([1024, 700]);
    await shot('portal-ticket.png');
    // Whole bubbles, not a sliver under a header that fills the panel: the conversation starts in
    // the upper two thirds of the screen.
    expect(visible).toBeGreaterThanOrEqual(1);
    const firstTop = await frame.$eval('.conversation .msg', (m) => m.getBoundingClientRect().top);
    expect(firstTop).toBeLessThan((700 * 2) / 3);
  });

  test('"Exportar PDF" in the frame: the PDF downloads, the bytes the archive recorded', async () => {
    await frame.click('.export-button');
    await frame.waitForSelector('.export-download', { timeout: 120_000 });
    await shot('portal-export.png');
    const href = await frame.$eval('.export-download', (a) => (a as HTMLAnchorElement).href);
    // The agent clicks the link in the frame; the browser saves what arrives.
    const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-portal-dl-'));
    const cdp = await browser.target().createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', {
      behavior: 'allowAndName',
      downloadPath: downloads,
      eventsEnabled: true,
      browserContextId: (page.browserContext() as unknown as { id: string }).id,
    });
    const finished = new Promise<{ guid: string; state: string }>((resolve) => {
      cdp.on('Browser.downloadProgress', (e: { guid: string; state: string }) => {
        if (e.state !== 'inProgress') resolve(e);
      });
    });
    // Real GCS answers a signed link with the Content-Disposition it asks for; the emulator ignores
    // it, so the browser is given that one header on the emulator's own bytes.
    const storage = new URL(href).origin;
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      const url = new URL(req.url());
      const disposition = url.searchParams.get('response-content-disposition');
      if (url.origin !== storage || !disposition) return void req.continue();
      void fetch(url, { signal: AbortSignal.timeout(WAIT) }).then(async (res) => {
        const headers: Record<string, string> = { 'content-disposition': disposition };
        res.headers.forEach((value, name) => {
          if (name !== 'content-disposition') headers[name] = value;
        });
        await req.respond({ status: res.status, headers, body: Buffer.from(await res.arrayBuffer()) });
      });
    });
    await frame.click('.export-download');
    const done = await finished;
    expect(done.state).toBe('completed');
    const bytes = fs.readFileSync(path.join(downloads, done.guid));
    fs.rmSync(downloads, { recursive: true, force: true });
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const hash = createHash('sha256').update(bytes).digest('hex');
    expect(new URL(href).searchParams.get('response-content-disposition')).toMatch(/^attachment; filename/);
    const { rows } = await env.archive.db.query<{ sha256: string }>(
      "select sha256 from exports where tenant_id = $1 and target = $2 and status = 'done' order by created_at desc limit 1",
      [LATAM, JOSE],
    );
    expect(hash).toBe(rows[0]?.sha256);
    // The app is still on screen in the frame.
    expect(new URL(frame.url()).pathname).toBe(`/tickets/${JOSE}`);
  });
});
