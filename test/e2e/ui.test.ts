/// <reference lib="dom" />
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Frame, Page } from 'puppeteer-core';
import { botAuthorization, fixtureIndex } from '../../tools/harness/blip-fixtures';
import { browserTestWorld, openHydrated as open, type UiEnv } from '../support/e2e-env';

/**
 * The extension UI in Chromium, built (web/build) and served by the real API process, over data
 * archived through the real pipeline (simulator → Temporal worker → Postgres, Typesense, GCS
 * emulator): login, every search field, the conversation with its media, hostile content, tenant
 * isolation, portal (iframe) login and a 10 000-message ticket. Screenshots go to test/artifacts/.
 */

const LATAM = 'atendimentolatam';
const CLINICA = 'clinicavidasana';
const ANA = 'b598352e-77f5-546c-a017-5ec108ed50ba'; // Ana Beatriz Souza, +5511987654321, #1042
const JOSE = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67'; // José Luis Hernández Ruiz, #1043: image, audio, video, pdf
const RAFAEL_1 = '1d91807c-ee64-51bd-9310-963620a44bca'; // closed 2025-03-12
const RAFAEL_2 = '805c6e79-257e-5075-933c-0cdd20578e04'; // closed 2025-03-12, 270 items
const HOSTILE = '5a11ee25-ca1b-5ce2-a798-5f5affcff0a4';
const CLINICA_TICKET = 'ec76db3c-68c3-513c-9d01-a54ee7ba0146';
const LATAM_TICKETS = fixtureIndex()
  .tickets.filter((t) => t.bot.startsWith(`${LATAM}@`))
  .map((t) => t.id);

const ARTIFACTS = path.resolve(__dirname, '../artifacts');
const WAIT = 15_000;

const world = browserTestWorld({ artifacts: ARTIFACTS });
let env: UiEnv;
beforeAll(() => {
  env = world.env;
});

/** A page in its own cookie jar (one session per context), speaking `language`. */
const newPage = (language = 'en-US,en;q=0.8'): Promise<Page> =>
  world.newPage({ language, wait: WAIT, width: 1280, height: 900 });
const login = (page: Page, authorization: string): Promise<void> => world.logIn(page, authorization);

/** Full-page screenshot; off-screen bubbles (content-visibility: auto) are painted for it. */
async function screenshot(page: Page, name: string): Promise<void> {
  await page.addStyleTag({ content: '.conversation > li { content-visibility: visible !important; }' });
  await page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });
}

async function settle(page: Page): Promise<void> {
  await page.waitForNetworkIdle({ idleTime: 150, timeout: WAIT });
}

/** Fills the search form the way an agent would and submits it with Enter. */
async function search(page: Page, fields: Partial<Record<'name' | 'phone' | 'ticket' | 'q', string>>) {
  await open(page, `${env.baseUrl}/`);
  for (const [field, value] of Object.entries(fields)) await page.type(`#f-${field}`, value as string);
  const expected = Object.entries(fields).map(([k, v]) => [k, v as string]);
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    (pairs: string[][]) => {
      const params = new URL(location.href).searchParams;
      return pairs.every(([k, v]) => params.get(k as string) === v);
    },
    { timeout: WAIT },
    expected,
  );
  await settle(page);
}

const resultIds = (page: Page) =>
  page.$$eval('.results .ticket-row', (rows) => rows.map((r) => (r as HTMLElement).dataset.ticketId));

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('standalone login and search', () => {
  let page: Page;

  beforeAll(async () => {
    page = await newPage();
  });

  test('an anonymous visit goes to the login form; a wrong key is refused with what to do', async () => {
    await open(page, `${env.baseUrl}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.$eval('label[for=bot-key]', (l) => l.textContent)).toBe('Bot key');
    const wrong = fixtureIndex().invalidAuthorizations.find((a) => a.why === 'known bot, wrong access key');
    await page.type('#bot-key', wrong?.authorization as string);
    await page.click('button[type=submit]');
    const alert = await page.waitForSelector('#login-error');
    expect(await alert?.evaluate((e) => e.textContent)).toMatch(/not accepted/);
    expect(new URL(page.url()).pathname).toBe('/login');
  });

  test('logging in with the bot key lists the newest tickets of that tenant', async () => {
    await login(page, botAuthorization(LATAM));
    await settle(page);
    const ids = await resultIds(page);
    expect(new Set(ids)).toEqual(new Set(LATAM_TICKETS));
    // Newest first: the hostile ticket closed last (2025-03-13).
    expect(ids[0]).toBe(HOSTILE);
    const text = await page.$eval('.results', (e) => (e as HTMLElement).textContent);
    for (const s of ['José Luis Hernández Ruiz', 'WhatsApp', 'mariana.lopez@lojaexemplo.com.mx', 'Messages'])
      expect(text).toContain(s);
    await screenshot(page, 'search.png');
  });

  test('name: accent-insensitive (jose finds José)', async () => {
    await search(page, { name: 'jose' });
    expect(await resultIds(page)).toEqual([JOSE]);
    const name = await page.$eval('.results .contact-name', (e) => e.textContent);
    expect(name).toBe('José Luis Hernández Ruiz');
  });

  test.each([['+55 (11) 98765-4321'], ['11987654321'], ['98765-4321']])(
    'phone typed as %s',
    async (phone) => {
      await search(page, { phone });
      expect(await resultIds(page)).toEqual([ANA]);
    },
  );

  test('ticket id and sequential number', async () => {
    await search(page, { ticket: JOSE });
    expect(await resultIds(page)).toEqual([JOSE]);
    await search(page, { ticket: '1043' });
    expect(await resultIds(page)).toEqual([JOSE]);
  });

  test('date range on the close date', async () => {
    await open(page, `${env.baseUrl}/`);
    await page.$eval('#f-from', (e) => {
      (e as HTMLInputElement).value = '2025-03-12';
    });
    await page.$eval('#f-to', (e) => {
      (e as HTMLInputElement).value = '2025-03-12';
    });
    await page.click('form[role=search] button[type=submit]');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('to') === '2025-03-12');
    await settle(page);
    expect(new Set(await resultIds(page))).toEqual(new Set([RAFAEL_1, RAFAEL_2]));
  });

  test('free text inside messages, with the match marked', async () => {
    await search(page, { q: 'foto' });
    expect(await resultIds(page)).toEqual([JOSE]);
    const marks = await page.$$eval('.results mark', (ms) => ms.map((m) => m.textContent?.toLowerCase()));
    expect(marks).toContain('foto');
  });

  test('no match and a bad field each say what to do', async () => {
    await search(page, { name: 'Zxqwvbnmpoiuy' });
    expect(await page.$eval('[data-state=empty]', (e) => (e as HTMLElement).textContent)).toMatch(
      /No ticket matches[\s\S]*remove a filter/,
    );
    await search(page, { phone: '1234' });
    expect(await page.$eval('[data-state=invalid]', (e) => (e as HTMLElement).textContent)).toMatch(
      /could not run[\s\S]*Correct the field/,
    );
  });
});

describe('ticket screen', () => {
  let page: Page;

  beforeAll(async () => {
    page = await newPage();
    await login(page, botAuthorization(LATAM));
  });

  test('a result opens the conversation: bubbles, day separator, ticket event, dimmed pre-ticket messages', async () => {
    await search(page, { name: 'jose' });
    await Promise.all([page.waitForSelector('#ticket-title'), page.click(`[data-ticket-id="${JOSE}"] a`)]);
    expect(await page.$eval('#ticket-title', (e) => e.textContent)).toBe('Ticket #1043');
    expect(await page.$$eval('.conversation .msg.customer', (m) => m.length)).toBeGreaterThan(5);
    expect(await page.$$eval('.conversation .msg.agent', (m) => m.length)).toBeGreaterThan(5);
    expect(await page.$$eval('.conversation .msg.bot', (m) => m.length)).toBeGreaterThan(0);
    expect(await page.$$eval('.conversation .day', (m) => m.length)).toBeGreaterThanOrEqual(1);
    expect(await page.$eval('.conversation .event', (e) => (e as HTMLElement).textContent)).toMatch(
      /Ticket opened\s+#1043/,
    );
    // The bot conversation before the ticket opened is shown, dimmed and labelled.
    const first = await page.$eval('.conversation [data-position="0"]', (e) => ({
      outside: e.classList.contains('outside'),
      opacity: Number(getComputedStyle(e).opacity),
      text: (e as HTMLElement).textContent,
    }));
    expect(first.outside).toBe(true);
    expect(first.opacity).toBeLessThan(1);
    expect(first.text).toContain('outside this ticket');
    const inside = await page.$eval('.conversation [data-position="6"]', (e) =>
      e.classList.contains('outside'),
    );
    expect(inside).toBe(false);
    // Location, contact card, web link and the reply quote are readable.
    const conversation = await page.$eval('.conversation', (e) => (e as HTMLElement).textContent);
    for (const s of [
      'Av. Álvaro Obregón 120',
      'Guadalupe Ruiz Campos',
      'https://www.lojaexemplo.example/mx/sucursales?cp=06700',
      'Reacted 👍',
    ])
      expect(conversation).toContain(s);
    // Customer bubbles name the contact (from the ticket's contact), the role still shown.
    const customers = await page.$$eval('.conversation .msg.customer .who', (w) =>
      w.map((x) => x.textContent),
    );
    expect(customers.length).toBeGreaterThan(5);
    for (const who of customers) expect(who).toBe('José Luis Hernández Ruiz · Customer');
    // The contact's other tickets are linked.
    expect(await page.$eval('.contact-history', (a) => (a as HTMLAnchorElement).pathname)).toBe(
      `/contacts/${encodeURIComponent('5215512345678@wa.gw.msging.net')}`,
    );
    await screenshot(page, 'ticket.png');
  });

  test('the image loads from storage and opens in a lightbox', async () => {
    const img = await page.waitForSelector('.conversation img');
    await img?.scrollIntoView();
    await page.waitForFunction(
      () => {
        const i = document.querySelector('.conversation img') as HTMLImageElement | null;
        return i?.complete && i.naturalWidth > 0;
      },
      { timeout: WAIT },
    );
    const src = await img?.evaluate((i) => (i as HTMLImageElement).src);
    expect(new URL(src as string).origin).not.toBe(env.baseUrl);
    await page.click('.conversation .thumb');
    await page.waitForSelector('dialog.lightbox[open] img');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('dialog.lightbox[open]'));
  });

  test('audio and video elements have a playable source; the document downloads the archived bytes', async () => {
    for (const selector of ['.conversation audio', '.conversation video']) {
      const { src, sha } = await page.$eval(selector, (e) => ({
        src: (e as HTMLMediaElement).currentSrc || (e as HTMLMediaElement).src,
        sha: (e as HTMLElement).dataset.sha256,
      }));
      const res = await fetch(src, { signal: AbortSignal.timeout(WAIT) });
      expect(res.status).toBe(200);
      expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(sha);
      expect(res.headers.get('content-type')).toMatch(selector.endsWith('audio') ? /^audio\// : /^video\//);
    }
    const doc = await page.$eval('.conversation a.document', (a) => ({
      href: (a as HTMLAnchorElement).href,
      text: (a as HTMLElement).innerText,
    }));
    expect(doc.text).toContain('Guia_devolucion_DEV-55821.pdf');
    expect(doc.text).toMatch(/821 B/);
    const { rows } = await env.archive.db.query<{ sha256: string }>(
      `select sha256 from media where tenant_id = $1 and ticket_id = $2 and title = $3`,
      [LATAM, JOSE, 'Guia_devolucion_DEV-55821.pdf'],
    );
    expect(rows).toHaveLength(1);
    const res = await fetch(doc.href, { signal: AbortSignal.timeout(WAIT) });
    expect(res.status).toBe(200);
    expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(rows[0]?.sha256);
  });

  test('"Export PDF" shows progress, then downloads the PDF the archive recorded', async () => {
    await open(page, `${env.baseUrl}/tickets/${JOSE}`);
    await page.click('.export-button');
    await page.waitForSelector('.export-download', { timeout: 120_000 });
    const { href, status } = await page.$eval('.export', (e) => ({
      href: (e.querySelector('.export-download') as HTMLAnchorElement).href,
      status: (e.querySelector('.export-status') as HTMLElement).textContent ?? '',
    }));
    const res = await fetch(href, { signal: AbortSignal.timeout(WAIT) });
    expect(res.status).toBe(200);
    // Real GCS answers with this disposition; the emulator ignores it, so check the signed request.
    expect(new URL(href).searchParams.get('response-content-disposition')).toMatch(/^attachment; filename/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Buffer.from(bytes.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    const { rows } = await env.archive.db.query<{ sha256: string; pages: number }>(
      "select sha256, pages from exports where tenant_id = $1 and target = $2 and status = 'done' order by created_at desc limit 1",
      [LATAM, JOSE],
    );
    expect(sha256(bytes)).toBe(rows[0]?.sha256);
    expect(status).toContain(`${rows[0]?.pages} pages`);
  });

  test('"Redact…" sends the kinds, custom patterns, reason and picked messages; a risky pattern is refused in words', async () => {
    await open(page, `${env.baseUrl}/tickets/${JOSE}`);
    await page.click('.redact summary');
    await page.click('input[name=redact-kind][value=cpf]');
    await page.click('input[name=redact-kind][value=email]');
    await page.type('#redact-regex', '(a+)+');
    expect(await page.$eval('.export-button', (b) => b.textContent?.trim())).toBe('Export redacted PDF');
    await page.click('.export-button');
    await page.waitForSelector('.export-status.error');
    expect(await page.$eval('.export-status.error', (e) => e.textContent)).toContain(
      'The custom pattern “(a+)+” cannot be used',
    );

    await page.$eval('#redact-regex', (e) => {
      (e as HTMLTextAreaElement).value = '';
    });
    await page.click('#redact-regex', { clickCount: 3 });
    await page.keyboard.press('Backspace');
    await page.type('#redact-regex', 'devolución');
    await page.type('#redact-reason', 'LGPD');
    await page.click('.redact-pick-button');
    const picked = await page.$eval('.pick-hide input', (e) => (e as HTMLInputElement).dataset.messageId);
    await page.click('.pick-hide input');
    expect(await page.$eval('.redact-pick', (e) => e.textContent)).toContain('Messages to hide entirely: 1');
    await page.click('.export-button');
    await page.waitForSelector('.export-download', { timeout: 120_000 });
    const { rows } = await env.archive.db.query<{ params: unknown }>(
      "select params from exports where tenant_id = $1 and target = $2 and status = 'done' order by created_at desc limit 1",
      [LATAM, JOSE],
    );
    expect(rows[0]?.params).toEqual({
      redact: { messages: [picked], patterns: ['cpf', 'email'], regex: ['devolución'], reason: 'LGPD' },
    });
  });

  test('an unknown ticket id shows "not found" with what to do', async () => {
    const res = await page.goto(`${env.baseUrl}/tickets/${randomUUID()}`);
    expect(res?.status()).toBe(404);
    expect(await page.$eval('main', (e) => (e as HTMLElement).textContent)).toMatch(
      /Ticket not found[\s\S]*search by/,
    );
  });

  test('the contact page lists the whole history, newest first', async () => {
    await page.goto(
      `${env.baseUrl}/contacts/${encodeURIComponent('b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d.atendimentolatam@0mn.io')}`,
    );
    expect(
      await page.$$eval('.ticket-row', (r) => r.map((x) => (x as HTMLElement).dataset.ticketId)),
    ).toEqual([RAFAEL_2, RAFAEL_1]);
  });
});

describe('security headers', () => {
  test('CSP forbids inline script and lets only the configured portal frame the UI', async () => {
    const res = await fetch(`${env.baseUrl}/login`, { signal: AbortSignal.timeout(WAIT) });
    const csp = res.headers.get('content-security-policy') ?? '';
    const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? '';
    expect(scriptSrc).toContain("'self'");
    expect(scriptSrc).not.toContain('unsafe-inline');
    expect(csp).toMatch(/frame-ancestors 'self' https:\/\/\*\.blip\.ai http:\/\/127\.0\.0\.1:\*/);
    expect(csp).toContain("object-src 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('hostile content stays inert', () => {
  test('script tags and event handlers show as text; nothing runs; nothing leaves 127.0.0.1', async () => {
    const page = await newPage();
    await login(page, botAuthorization(LATAM));
    const dialogs: string[] = [];
    const outside: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      const url = new URL(req.url());
      if (url.protocol.startsWith('http') && url.hostname !== '127.0.0.1') {
        outside.push(req.url());
        void req.abort();
      } else void req.continue();
    });
    await page.goto(`${env.baseUrl}/tickets/${HOSTILE}`);
    await page.waitForSelector('.conversation');
    // Scroll through so every lazy image and media element gets its chance to load.
    await page.evaluate(async () => {
      for (let y = 0; y < document.body.scrollHeight; y += 400) {
        window.scrollTo(0, y);
        await new Promise((r) => setTimeout(r, 30));
      }
    });
    await settle(page);
    const text = await page.$eval('main', (e) => (e as HTMLElement).textContent);
    expect(text).toContain('<script>alert("xss")</script>');
    expect(text).toContain('<img src=x onerror="alert(document.domain)">');
    expect(text).toContain("<img src=x onerror=alert('xss')>Sofía");
    // The contact's name (an attacker's markup) on each customer bubble: text, never an element.
    const names = await page.$$eval('.conversation .msg.customer .who', (w) =>
      w.map((x) => ({
        text: x.textContent,
        elements: x.querySelectorAll('img, svg, script, [onerror]').length,
      })),
    );
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      expect(name.text).toContain('<img src=x onerror=alert(\'xss\')>Sofía "Sofi" Álvarez');
      expect(name.text).toMatch(/ · Customer$/);
      expect(name.elements).toBe(0);
    }
    expect(text).toContain('javascript:alert(document.cookie)');
    expect(text).toContain('<a href="https://evil.example/phish">Banco</a>');
    // Nothing from the archive became markup.
    expect(await page.$$eval('main script', (s) => s.length)).toBe(0);
    expect(await page.$$eval('main img[src="x"], main [onerror]', (s) => s.length)).toBe(0);
    expect(await page.$$eval('a[href^="javascript:" i]', (s) => s.length)).toBe(0);
    expect(await page.$$eval('a[href*="evil.example"]', (s) => s.length)).toBe(0);
    // The path-traversal-named image is just an image from storage.
    expect(
      await page.$$eval('.conversation img', (imgs) =>
        imgs.filter((i) => (i as HTMLImageElement).naturalWidth > 0).map((i) => (i as HTMLImageElement).alt),
      ),
    ).toContain('../../../../etc/passwd.jpg');
    await screenshot(page, 'ticket-hostile.png');
    await new Promise((r) => setTimeout(r, 500));
    expect(dialogs).toEqual([]);
    expect(outside).toEqual([]);
  });
});

describe('tenant isolation', () => {
  test("a second tenant sees none of the first tenant's tickets and gets 404 on them", async () => {
    const page = await newPage();
    await login(page, botAuthorization(CLINICA));
    await settle(page);
    expect(await resultIds(page)).toEqual([CLINICA_TICKET]);
    await search(page, { ticket: '1043' });
    expect(await resultIds(page)).toEqual([]);
    await search(page, { q: 'foto' });
    expect(await resultIds(page)).toEqual([]);
    const res = await page.goto(`${env.baseUrl}/tickets/${JOSE}`);
    expect(res?.status()).toBe(404);
    expect(await page.$eval('main', (e) => (e as HTMLElement).textContent)).toContain('Ticket not found');
    const api = await page.evaluate(async (id) => (await fetch(`/v1/tickets/${id}`)).status, JOSE);
    expect(api).toBe(404);
    const own = await page.goto(`${env.baseUrl}/tickets/${CLINICA_TICKET}`);
    expect(own?.status()).toBe(200);
  });
});

describe('languages', () => {
  test('chosen from Accept-Language, switchable, remembered', async () => {
    const page = await newPage('pt-BR,pt;q=0.9');
    await open(page, `${env.baseUrl}/login`);
    expect(await page.$eval('label[for=bot-key]', (l) => l.textContent)).toBe('Chave do bot');
    await login(page, botAuthorization(LATAM));
    expect(await page.$eval('label[for=f-name]', (l) => l.textContent)).toBe('Nome do contato');
    expect(await page.$eval('html', (h) => h.lang)).toBe('pt-BR');
    await page.select('#language', 'es');
    await page.waitForFunction(
      () => document.querySelector('label[for=f-name]')?.textContent === 'Nombre del contacto',
    );
    await page.reload();
    await page.waitForSelector('html[data-hydrated]');
    expect(await page.$eval('label[for=f-name]', (l) => l.textContent)).toBe('Nombre del contacto');
  });
});

describe('inside the Blip portal', () => {
  let parent: http.Server;
  let parentUrl: string;

  beforeAll(async () => {
    const bot = fixtureIndex().bots.find((b) => b.identifier === LATAM);
    // A fake portal page: an iframe with the extension, answering iframe-message-proxy requests.
    const html = `<!doctype html><html><body><h1>Fake Blip portal</h1>
<iframe id="ext" title="ticket-vault" src="${env.baseUrl}/" style="width:1200px;height:800px"></iframe>
<script>
window.calls = [];
window.addEventListener('message', (event) => {
  const data = event.data || {};
  const msg = data.message || {};
  const id = data.trackingProperties && data.trackingProperties.id;
  if (!id || typeof msg.action !== 'string') return;
  window.calls.push({ action: msg.action, content: msg.content });
  let response;
  switch (msg.action) {
    case 'blipEvent:getApplication':
      response = { shortName: ${JSON.stringify(LATAM)}, name: 'Loja Exemplo', applicationJson: { identifier: ${JSON.stringify(LATAM)}, accessKey: ${JSON.stringify(bot?.accessKey)} } };
      break;
    case 'blipEvent:sendCommand':
      response = { fullName: 'Agente Portal', email: 'agente.portal@lojaexemplo.com.br', identity: 'agente.portal%40lojaexemplo.com.br@blip.ai' };
      break;
    case 'blipEvent:getCurrentLanguage':
      response = 'es';
      break;
    default:
      event.source.postMessage({ error: 'unsupported', trackingProperties: { id } }, '*');
      return;
  }
  event.source.postMessage({ response, trackingProperties: { id } }, '*');
});
</script></body></html>`;
    parent = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
    });
    await new Promise<void>((resolve) => parent.listen(0, '127.0.0.1', resolve));
    parentUrl = `http://127.0.0.1:${(parent.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await new Promise((resolve) => parent.close(resolve));
  });

  test('logs in with the bot the portal supplies, without typing a key, in the portal language', async () => {
    const page = await newPage('en-US');
    await page.goto(parentUrl);
    const frameHandle = await page.waitForSelector('#ext');
    let frame: Frame | null = null;
    await page.waitForFunction(
      () => {
        const f = document.querySelector('#ext') as HTMLIFrameElement;
        try {
          return new URL(f.contentWindow?.location.href ?? '').pathname === '/';
        } catch {
          return true; // cross-origin: checked through puppeteer below
        }
      },
      { timeout: WAIT },
    );
    frame = (await frameHandle?.contentFrame()) ?? null;
    expect(frame).not.toBeNull();
    const f = frame as Frame;
    await f.waitForSelector('#search-title', { timeout: WAIT });
    expect(new URL(f.url()).pathname).toBe('/');
    expect(await f.$eval('label[for=f-name]', (l) => l.textContent)).toBe('Nombre del contacto');
    await f.waitForSelector('.results .ticket-row');
    expect(await f.$$eval('.results .ticket-row', (r) => r.length)).toBe(LATAM_TICKETS.length);
    const calls = (
      await page.evaluate(() => (window as unknown as { calls: { action: string }[] }).calls)
    ).map((c) => c.action);
    expect(calls).toEqual(
      expect.arrayContaining([
        'blipEvent:getApplication',
        'blipEvent:sendCommand',
        'blipEvent:getCurrentLanguage',
      ]),
    );
    // The session is the bot's, attributed to the portal user for the audit log.
    const session = await f.evaluate(async () => (await fetch('/v1/session')).json());
    expect(session).toMatchObject({ tenantId: LATAM, actor: 'agente.portal@lojaexemplo.com.br (claimed)' });
  });
});

describe('a 10 000-message ticket', () => {
  test('opens with a bounded number of bubbles and pages in more as the reader scrolls', async () => {
    const id = randomUUID();
    const start = Date.parse('2025-06-01T10:00:00.000Z');
    const count = 10_000;
    env.archive.sim.addTicket({
      ticket: {
        id,
        sequentialId: 9001,
        ownerIdentity: `${LATAM}@msging.net`,
        customerIdentity: '5511955554444@wa.gw.msging.net',
        customerDomain: 'wa.gw.msging.net',
        status: 'ClosedAttendant',
        closed: true,
        storageDate: new Date(start).toISOString(),
        openDate: new Date(start).toISOString(),
        closeDate: new Date(start + 86_400_000).toISOString(),
        team: 'Default',
      },
      contact: {
        identity: '5511955554444@wa.gw.msging.net',
        name: 'Cliente Longo',
        phoneNumber: '+5511955554444',
      },
      messages: Array.from({ length: count }, (_, i) => ({
        id: `long-${id}-${i}`,
        direction: i % 2 === 0 ? 'received' : 'sent',
        type: 'text/plain',
        content: `mensagem ${i}`,
        date: new Date(start + 1000 * (i + 1)).toISOString(),
        status: 'consumed',
      })),
    } as never);
    const answer = await env.archive.webhook(id, botAuthorization(LATAM));
    expect(answer.statusCode).toBe(202);
    await env.archive.result(answer.body.workflowId as string);

    const page = await newPage();
    await login(page, botAuthorization(LATAM));
    const started = Date.now();
    await open(page, `${env.baseUrl}/tickets/${id}`);
    await page.waitForSelector('.conversation .msg');
    const firstPaintMs = Date.now() - started;
    const rows = await page.$$eval('.conversation > li', (l) => l.length);
    expect(rows).toBeLessThanOrEqual(250);
    // Scrolling to the end of what is shown adds more, fetched page by page from the API.
    for (let i = 0; i < 4; i++) {
      const before = await page.$$eval('.conversation .msg', (l) => l.length);
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      await page.waitForFunction(
        (n: number) => document.querySelectorAll('.conversation .msg').length > n,
        { timeout: WAIT },
        before,
      );
    }
    const after = await page.$$eval('.conversation .msg', (l) => l.length);
    expect(after).toBeGreaterThan(250);
    expect(after).toBeLessThan(count);
    expect(await page.$eval('.conversation .msg:last-child', (e) => (e as HTMLElement).textContent)).toMatch(
      /mensagem \d+/,
    );
    // Not asserted (timings never are): recorded for the reader of the test log.
    console.log(
      `10k-message ticket: first bubbles after ${firstPaintMs} ms, ${after} bubbles after 4 scrolls`,
    );
  }, 240_000);
});

describe('every word translated, search the way agents talk', () => {
  let page: Page;
  beforeAll(async () => {
    page = await newPage('pt-BR,pt;q=0.9');
    await login(page, botAuthorization(LATAM));
  }, 60_000);

  test('a pt-BR ticket shows statuses, channels, delivery states and files in words, never their codes', async () => {
    await open(page, `${env.baseUrl}/tickets/${JOSE}`);
    await settle(page);
    const text = await page.$eval('main', (m) => m.textContent ?? '');
    expect(text).toContain('Encerrado pelo atendente');
    expect(text).toContain('Documento PDF');
    for (const code of [
      'ClosedAttendant',
      'ClosedClient',
      'Transferred',
      'consumed',
      'received',
      'dispatched',
      'application/',
      'image/',
      'video/',
      'audio/',
      'HTTP ',
      'composing',
    ])
      expect(text).not.toContain(code);
  });

  test('a bad field is explained in pt-BR, not with the API’s English message', async () => {
    await open(page, `${env.baseUrl}/?phone=123`);
    const alert = await page.$eval('[data-state=invalid]', (e) => e.textContent ?? '');
    expect(alert).toContain('Digite pelo menos 8 dígitos do telefone.');
    expect(alert).not.toMatch(/phone needs|digits/);
  });

  test('dates are typed day first and read in the tenant’s time zone', async () => {
    await open(page, `${env.baseUrl}/`);
    expect(await page.$eval('#zone-note', (e) => e.textContent)).toMatch(/São Paulo \(UTC−03:00\)/);
    await page.type('#f-from', '12/03/2025');
    await page.type('#f-to', '12/03/2025');
    await page.click('form[role=search] button[type=submit]');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('to') === '12/03/2025');
    await settle(page);
    expect(new Set(await resultIds(page))).toEqual(new Set([RAFAEL_1, RAFAEL_2]));
    expect(await page.$eval('#f-from', (e) => (e as HTMLInputElement).value)).toBe('12/03/2025');
  });

  test('filters with counts narrow the results and can be removed', async () => {
    await open(page, `${env.baseUrl}/`);
    const chip = await page.$eval('[data-facet=channel] .chip', (a) => ({
      href: (a as HTMLAnchorElement).getAttribute('href'),
      count: Number(a.querySelector('.count')?.textContent),
      value: (a as HTMLElement).dataset.value,
    }));
    await open(page, `${env.baseUrl}${chip.href}`);
    await settle(page);
    expect((await resultIds(page)).length).toBe(chip.count);
    expect(await page.$eval('[data-facet=channel] .chip.active', (a) => a.getAttribute('href'))).toBe('/');
  });

  test('an image whose signed link expired asks for a fresh one instead of staying broken', async () => {
    await open(page, `${env.baseUrl}/tickets/${JOSE}`);
    await settle(page);
    // What an expired link does: the storage answers an error instead of the bytes (the emulator does
    // not check signatures, so a link to nothing stands in for one past its expiry).
    await page.$eval('.thumb img', (img) => {
      (img as HTMLImageElement).src = `${new URL((img as HTMLImageElement).src).origin}/expired-link-standin`;
    });
    await page.waitForFunction(
      () => {
        const img = document.querySelector('.thumb img') as HTMLImageElement | null;
        return !!img && !img.src.includes('expired-link-standin') && img.complete && img.naturalWidth > 0;
      },
      { timeout: WAIT },
    );
  });

  test('a text hit opens the ticket at the matching message, marked; find-in-ticket counts and moves', async () => {
    await search(page, { q: 'foto' });
    await Promise.all([page.waitForNavigation(), page.click('.results .ticket-link')]);
    await page.waitForSelector('html[data-hydrated]');
    expect(new URL(page.url()).searchParams.get('at')).toMatch(/^\d+$/);
    const hit = await page.$eval('[data-mark=hit]', (e) => (e.textContent ?? '').toLowerCase());
    expect(hit).toContain('foto');
    await page.type('#find-text', 'devolución');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-mark=current]');
    expect(await page.$eval('.find-count', (e) => e.textContent)).toMatch(/^\s*1 de [1-9]\d*\s*$/);
  });
});
