/// <reference lib="dom" />
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Frame, HTTPRequest, Page } from 'puppeteer-core';
import { saveMediaText } from '../../lib/db/media-text';
import { botAuthorization, FIXTURES_DIR, fixtureIndex } from '../../tools/harness/blip-fixtures';
import en from '../../web/src/lib/locales/en.json';
import es from '../../web/src/lib/locales/es.json';
import pt from '../../web/src/lib/locales/pt-BR.json';
import {
  type ApiChild,
  freePort,
  launchChromium,
  logIn,
  newBrowserPage,
  startApiChild,
  startUiEnv,
  type UiEnv,
} from '../support/e2e-env';

/**
 * Every word translated (issue 15): in pt-BR, es and en, this walks every screen and state of the
 * UI (login and its errors, the portal hand-off and each way it fails — no key, key refused, session
 * cookie not kept, timeout —, search with its results, every filter chip and order, empty, refused and
 * unavailable states, each ticket with every kind of message and media, related-ticket links and close
 * markers, find-in-ticket, the lightbox, the contact page, each export state, the 404 pages and the
 * error page of a backing service down) and reads what a person sees or hears: the
 * visible text, the page title and the title / aria-label / placeholder / alt attributes. It fails,
 * naming the screen and the string, on
 *  - an i18n key shown raw (`search.title`) or a placeholder left unreplaced (`{name}`);
 *  - on a pt-BR or es page, a word of the English dictionary that the page's language does not use
 *    (so "Search" on a Portuguese page), unless that text is archived ticket content;
 *  - an API or Blip code shown as it is: ticket statuses (`ClosedClient`), delivery and chat states
 *    (`consumed`, `chatstate`), MIME types (`image/jpeg`), worker reasons (`HTTP 404`).
 * Archived content (what customers and agents wrote, file names, contact names) is recognised by
 * being part of the fixtures or of the tickets this test adds, and is never judged.
 */

const LATAM = 'atendimentolatam';
const JOSE = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67'; // #1043: image, audio, video, pdf, location, reply…
const CLINICA = 'clinicavidasana';
const CLINICA_TICKET = 'ec76db3c-68c3-513c-9d01-a54ee7ba0146'; // #87, WhatsApp through a router bot
const RAFAEL_CONTACT = 'b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d.atendimentolatam@0mn.io';
const RAFAEL_1 = '1d91807c-ee64-51bd-9310-963620a44bca'; // #1039, transferred to #1044 (related links)
const RAFAEL_2 = '805c6e79-257e-5075-933c-0cdd20578e04'; // #1044, continues #1039
const LATAM_TICKETS = fixtureIndex()
  .tickets.filter((t) => t.bot.startsWith(`${LATAM}@`))
  .map((t) => t.id);
const WAIT = 20_000;
/** The portal hand-off's deadline and each portal question's, as this test's API serves the UI. */
const HANDOFF_MS = 8_000;
const PORTAL_REQUEST_MS = 3_000;

type Locale = 'pt-BR' | 'es' | 'en';
const LANGUAGES: { locale: Locale; header: string }[] = [
  { locale: 'pt-BR', header: 'pt-BR,pt;q=0.9' },
  { locale: 'es', header: 'es-MX,es;q=0.9' },
  { locale: 'en', header: 'en-US,en;q=0.9' },
];
const DICTIONARIES: Record<Locale, Record<string, string>> = { 'pt-BR': pt, es, en };

// ---------------------------------------------------------------------------------------------
// What counts as untranslated

const words = (s: string): string[] =>
  s
    .replace(/\{\w+\}/g, ' ')
    .split(/[^\p{L}]+/u)
    .filter((w) => w.length >= 3)
    .map((w) => w.toLowerCase());

/**
 * English words the page must not show: every word of the English dictionary's values that the
 * page's own dictionary never uses (so "Ticket", "Bot", "WhatsApp" pass on a Portuguese page,
 * being Portuguese words too, while "Search", "Download", "Closed" do not).
 */
function englishDenylist(locale: Locale): Set<string> {
  const own = new Set(Object.values(DICTIONARIES[locale]).flatMap(words));
  return new Set(
    Object.values(en)
      .flatMap(words)
      .filter((w) => !own.has(w)),
  );
}

const NAMESPACES = [...new Set(Object.keys(en).map((k) => k.split('.')[0] as string))];
const RAW_KEY = new RegExp(`\\b(?:${NAMESPACES.join('|')})\\.[A-Za-z][\\w]*\\b`);
const PLACEHOLDER = /\{\s*[A-Za-z_]\w*\s*\}/;
/** Codes that are never words in any language. */
const CODES_ANYWHERE =
  /\b(?:ClosedClient\w*|ClosedAttendant\w*|chatstate|BlipChat|vnd\.lime|vnd\.iris)\b|\b(?:image|audio|video|application|text)\/[a-z0-9][\w.+-]*|\bHTTP \d{3}\b/;
/** English state names the API sends as codes: wrong on a Portuguese or Spanish page. */
const CODES_NOT_ENGLISH =
  /\b(?:Transferred|Waiting|Assigned|consumed|received|dispatched|accepted|failed|composing|paused|starting|deleting|gone|pending|stored|unavailable|unreadable|timeout)\b/;

/** Archived content: every string of the fixture tickets (and of the tickets this test adds). */
const archived: string[] = [];
function addArchived(value: unknown): void {
  if (typeof value === 'string') {
    archived.push(value);
    try {
      const decoded = decodeURIComponent(value);
      if (decoded !== value) archived.push(decoded);
    } catch {
      // not percent-encoded
    }
  } else if (Array.isArray(value)) value.forEach(addArchived);
  else if (value && typeof value === 'object') Object.values(value).forEach(addArchived);
}
for (const dir of fs.readdirSync(path.join(FIXTURES_DIR, 'tickets'))) {
  for (const file of fs.readdirSync(path.join(FIXTURES_DIR, 'tickets', dir)))
    addArchived(JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, 'tickets', dir, file), 'utf8')));
}
let corpus = '';
/**
 * The screen shows archived text made safe (control characters replaced, whitespace folded) and
 * often framed by punctuation (": name", "name ·"): compared the same way on both sides.
 */
const fold = (s: string) => s.replace(/[\p{Cc}\ufffd\u200b-\u200f\s]+/gu, ' ').trim();
const unframe = (s: string) => s.replace(/^[\s:·,(—–-]+|[\s:·,)—–-]+$/g, '');
const isArchived = (text: string) => {
  const bare = unframe(fold(text));
  return bare.length >= 2 && corpus.includes(bare);
};

/** One piece of what a reader meets: a text node or an attribute, and where it is. */
interface Seen {
  text: string;
  where: string;
}

/** The visible text nodes and the spoken/hinted attributes of a document (or frame). */
async function collect(target: Page | Frame): Promise<Seen[]> {
  return target.evaluate(() => {
    const out: { text: string; where: string }[] = [{ text: document.title, where: 'title' }];
    const describe = (el: Element): string => {
      const id = el.id ? `#${el.id}` : '';
      const cls =
        typeof el.className === 'string' && el.className
          ? `.${el.className.trim().split(/\s+/).join('.')}`
          : '';
      return `${el.tagName.toLowerCase()}${id}${cls}`;
    };
    const visible = (el: Element): boolean =>
      el.closest('option') !== null || (el as HTMLElement).checkVisibility?.() !== false;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const parent = n.parentElement;
      const text = (n.textContent ?? '').trim();
      if (!parent || !text || parent.closest('script, style, template, noscript')) continue;
      if (!visible(parent)) continue;
      out.push({ text, where: describe(parent) });
    }
    for (const el of Array.from(
      document.body.querySelectorAll('[title], [aria-label], [placeholder], img[alt]'),
    )) {
      if (!visible(el) && !el.closest('dialog')) continue;
      for (const name of ['title', 'aria-label', 'placeholder', 'alt']) {
        const value = el.getAttribute(name)?.trim();
        if (value) out.push({ text: value, where: `${describe(el)}[${name}]` });
      }
    }
    return out;
  });
}

/** What is untranslated in `seen`, as "where: problem «text»" lines. */
function untranslated(seen: Seen[], locale: Locale): string[] {
  const deny = englishDenylist(locale);
  const problems: string[] = [];
  for (const { text, where } of seen) {
    if (isArchived(text)) continue;
    const say = (what: string) => problems.push(`${where}: ${what} in «${text.slice(0, 160)}»`);
    const key = RAW_KEY.exec(text);
    if (key && key[0] in en) say(`raw i18n key "${key[0]}"`);
    else if (key && DICTIONARY_KEY_LIKE.test(key[0])) say(`raw i18n key "${key[0]}"`);
    const placeholder = PLACEHOLDER.exec(text);
    if (placeholder) say(`unreplaced placeholder "${placeholder[0]}"`);
    const code = CODES_ANYWHERE.exec(text);
    if (code) say(`raw code "${code[0]}"`);
    if (locale === 'en') continue;
    const state = CODES_NOT_ENGLISH.exec(text);
    if (state) say(`raw code "${state[0]}"`);
    const english = [...new Set(words(text).filter((w) => deny.has(w)))];
    if (english.length) say(`English ${english.map((w) => `"${w}"`).join(', ')}`);
  }
  return problems;
}
/** A key of a known namespace with no dot-free word after it (`media.xyz`), even if not in en.json. */
const DICTIONARY_KEY_LIKE = new RegExp(`^(?:${NAMESPACES.join('|')})\\.[a-z][A-Za-z]*$`);

// ---------------------------------------------------------------------------------------------
// The world: the fixtures archived, plus a ticket holding every kind of message and media state

let env: UiEnv;
let browser: Browser;
let parent: http.Server;
let parentOrigin: string;
/** The same page as parentOrigin under another site (localhost): the frame inside it is cross-site. */
let crossSiteParentOrigin: string;
/**
 * A second API process over the same archive with its search engine and database out of reach (closed
 * ports): what the UI shows when a backing service is down, for real (the UI's loads call the API in
 * the server, out of the browser's reach, so these answers cannot be faked by request interception).
 * Sessions are signed with the same key and cookies ignore the port: the logged-in browser is
 * logged in there too.
 */
let outage: ApiChild;
/**
 * A third API process over the same archive with the free-text window on (SEARCH_TEXT_DEFAULT_MONTHS,
 * off in the other tests: the fixtures closed in 2025): its word searches show the "last 6 months"
 * notice and its "search all dates" link. Same session, as with `outage`.
 */
let windowed: ApiChild;
let databaseLink: { port: number; cut(): void } | undefined;

/** A TCP relay to 127.0.0.1:`target` that can be cut: its connections dropped, new ones refused. */
async function cuttableLink(target: number): Promise<{ port: number; cut(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}
const EVERY_KIND = randomUUID();
const EVERY_KIND_SEQ = 9100;

/** Random bytes under a video/audio type: a file no browser can play (what a broken recording is). */
const unplayable = () => Buffer.concat([Buffer.from('not a media container '), randomBytes(4096)]);

async function addEveryKindTicket(): Promise<void> {
  const sim = env.archive.sim;
  const start = Date.parse('2025-05-20T13:00:00.000Z');
  const customer = '5511944443333@wa.gw.msging.net';
  const media = (contentType: string, bytes: Buffer) => sim.addMedia({ contentType, bytes });
  const video = media('video/mp4', unplayable());
  const audio = media('audio/ogg', unplayable());
  const image = media('image/png', fs.readFileSync(path.join(FIXTURES_DIR, 'media', 'speedtest.png')));
  const pdf = media('application/pdf', Buffer.from(`%PDF-1.4\n% comprovante ${randomUUID()}\n%%EOF\n`));
  const zip = media('application/zip', Buffer.concat([Buffer.from('PK\u0003\u0004'), randomBytes(256)]));
  // A link to a file the media host does not have: archived as unavailable.
  const missing = video.uri.replace(/Media_[^?]+/, `Media_${randomUUID()}`);
  const items: Record<string, unknown>[] = [
    {
      direction: 'received',
      type: 'text/plain',
      content: 'Oi, mandei o vídeo da entrega',
      status: 'consumed',
    },
    {
      direction: 'received',
      type: 'application/vnd.lime.media-link+json',
      content: { type: 'video/mp4', uri: video.uri, size: 4118, title: 'entrega-portaria.mp4' },
      status: 'consumed',
    },
    {
      direction: 'received',
      type: 'application/vnd.lime.media-link+json',
      content: { type: 'audio/ogg', uri: audio.uri, size: 4118, title: 'audio-entregador.ogg' },
      status: 'consumed',
    },
    {
      direction: 'received',
      type: 'application/vnd.lime.media-link+json',
      content: { type: 'image/png', uri: image.uri, size: 296, title: 'velocidade.png' },
      status: 'received',
    },
    {
      direction: 'received',
      type: 'application/vnd.lime.media-link+json',
      content: { type: 'application/pdf', uri: pdf.uri, title: 'comprovante-entrega.pdf' },
      status: 'consumed',
    },
    {
      direction: 'received',
      type: 'application/vnd.lime.media-link+json',
      content: { type: 'application/zip', uri: zip.uri, title: 'fotos-caixa.zip' },
      status: 'consumed',
    },
    {
      direction: 'received',
      type: 'application/vnd.lime.media-link+json',
      content: { type: 'image/jpeg', uri: missing, size: 1234, title: 'foto-perdida.jpg' },
      status: 'consumed',
    },
    { direction: 'received', type: 'application/vnd.lime.chatstate+json', content: { state: 'gone' } },
    { direction: 'sent', type: 'application/vnd.lime.redirect+json', content: { address: 'atendimento' } },
    {
      direction: 'sent',
      type: 'application/vnd.lime.payment+json',
      content: { amount: 10 },
      status: 'failed',
    },
    {
      direction: 'sent',
      type: 'application/json',
      content: { type: 'template', template: { name: 'pesquisa_satisfacao', language: { code: 'pt_BR' } } },
      status: 'accepted',
    },
    {
      direction: 'received',
      type: 'application/vnd.lime.reaction+json',
      content: {
        emoji: { values: [] },
        inReactionTo: { type: 'text/plain', value: 'Obrigado', direction: 'sent' },
      },
      status: 'consumed',
    },
    {
      direction: 'sent',
      type: 'text/plain',
      content: 'Recebemos, vamos verificar com a transportadora.',
      status: 'consumed',
    },
    {
      direction: 'received',
      type: 'application/vnd.iris.ticket+json',
      content: {
        id: EVERY_KIND,
        sequentialId: EVERY_KIND_SEQ,
        status: 'ClosedClient',
        closed: true,
        team: 'Entregas',
      },
    },
  ];
  const messages = items.map((m, i) => ({
    id: `every-${EVERY_KIND}-${i}`,
    date: new Date(start + 1000 * (i + 1)).toISOString(),
    ...m,
  }));
  addArchived(messages);
  addArchived(['Cliente Todos Os Tipos', '+5511944443333', customer, 'Entregas']);
  sim.addTicket({
    ticket: {
      id: EVERY_KIND,
      sequentialId: EVERY_KIND_SEQ,
      ownerIdentity: `${LATAM}@msging.net`,
      customerIdentity: customer,
      customerDomain: 'wa.gw.msging.net',
      status: 'ClosedClient',
      closed: true,
      storageDate: new Date(start).toISOString(),
      openDate: new Date(start).toISOString(),
      closeDate: new Date(start + 60_000).toISOString(),
      team: 'Entregas',
    },
    contact: { identity: customer, name: 'Cliente Todos Os Tipos', phoneNumber: '+5511944443333' },
    messages,
  } as never);
  const answer = await env.archive.webhook(EVERY_KIND, botAuthorization(LATAM));
  if (answer.statusCode !== 202) throw new Error(`archiving the every-kind ticket: ${answer.statusCode}`);
  await env.archive.result(answer.body.workflowId as string);
  // Text read from the files, as the media-text worker would have stored it: one read, one not.
  const { rows } = await env.archive.db.query<{ sha256: string; content_type: string }>(
    `select sha256, content_type from media where tenant_id = $1 and ticket_id = $2 and status = 'stored'`,
    [LATAM, EVERY_KIND],
  );
  const shaOf = (type: string) => rows.find((r) => r.content_type === type)?.sha256 as string;
  const base = { tenantId: LATAM, engine: 'tesseract', engineVersion: '5', languages: 'por', seconds: 1 };
  const pages = [
    { page: 1, source: 'text-layer' as const, text: 'Comprovante de entrega\nRecebido por: portaria' },
    { page: 2, source: 'ocr' as const, text: 'Assinatura do recebedor' },
  ];
  addArchived(pages.map((p) => p.text));
  await saveMediaText(env.archive.db, {
    ...base,
    sha256: shaOf('application/pdf'),
    status: 'ok',
    reason: null,
    parts: pages,
  });
  await saveMediaText(env.archive.db, {
    ...base,
    sha256: shaOf('image/png'),
    status: 'unreadable',
    reason: 'image is larger than 40 megapixels',
    parts: [],
  });
}

/** The portal's form of the tenant's key: base64 of the secret alone (its bot key is `Key base64(bot:secret)`). */
function latamAccessKey(): string {
  const pair = Buffer.from(botAuthorization(LATAM).replace(/^Key /, ''), 'base64').toString('utf8');
  return Buffer.from(pair.slice(pair.indexOf(':') + 1), 'utf8').toString('base64');
}

/** A page posing as the Blip portal: the login in an iframe, answering hand-off requests as `mode` says. */
function portalParent(mode: string | null, frameUrl: string): string {
  return `<!doctype html><html><body>
<iframe id="ext" title="ticket-vault" src="${frameUrl}" style="width:1000px;height:650px"></iframe>
<script>
const mode = ${JSON.stringify(mode)};
window.addEventListener('message', (event) => {
  const data = event.data || {};
  const msg = data.message || {};
  const id = data.trackingProperties && data.trackingProperties.id;
  if (!id || typeof msg.action !== 'string' || mode === 'silent') return;
  if (mode === 'good' && msg.action === 'blipEvent:getApplication') {
    const response = { shortName: ${JSON.stringify(LATAM)}, applicationJson: { identifier: ${JSON.stringify(LATAM)}, accessKey: ${JSON.stringify(latamAccessKey())} } };
    event.source.postMessage({ response, trackingProperties: { id } }, '*');
    return;
  }
  if (mode === 'refuse' && msg.action === 'blipEvent:getApplication') {
    const response = { shortName: ${JSON.stringify(LATAM)}, applicationJson: { identifier: ${JSON.stringify(LATAM)}, accessKey: 'bm90LXRoZS1rZXk=' } };
    event.source.postMessage({ response, trackingProperties: { id } }, '*');
    return;
  }
  event.source.postMessage({ error: 'unsupported', trackingProperties: { id } }, '*');
});
</script></body></html>`;
}

beforeAll(async () => {
  // The fake portal also runs as http://localhost:<port>, another site than the UI's 127.0.0.1.
  env = await startUiEnv({
    env: {
      UI_FRAME_ANCESTORS: "'self' https://*.blip.ai http://127.0.0.1:* http://localhost:*",
      // The hand-off's deadlines, short: the walk reaches each timeout screen in seconds, not the
      // 30 s and 5 s the defaults wait (test/e2e/portal.test.ts logs in with the defaults).
      UI_PORTAL_HANDOFF_MS: String(HANDOFF_MS),
      UI_PORTAL_REQUEST_MS: String(PORTAL_REQUEST_MS),
    },
  });
  await addEveryKindTicket();
  // The outage API starts on a working database (it migrates at start), which then goes away.
  const database = new URL(env.archive.workerEnv.DATABASE_URL as string);
  databaseLink = await cuttableLink(Number(database.port));
  database.port = String(databaseLink.port);
  outage = await startApiChild(
    env.archive,
    {
      TYPESENSE_URL: `http://127.0.0.1:${await freePort()}`,
      TYPESENSE_NODES: undefined,
      DATABASE_URL: database.toString(),
    },
    { healthy: false },
  );
  databaseLink.cut();
  windowed = await startApiChild(env.archive, { SEARCH_TEXT_DEFAULT_MONTHS: '6' });
  corpus = archived.map(fold).join('\n');
  browser = await launchChromium();
  parent = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(portalParent(url.searchParams.get('mode'), `${env.baseUrl}/login`));
  });
  await new Promise<void>((resolve) => parent.listen(0, '127.0.0.1', resolve));
  parentOrigin = `http://127.0.0.1:${(parent.address() as AddressInfo).port}`;
  crossSiteParentOrigin = `http://localhost:${(parent.address() as AddressInfo).port}`;
}, 400_000);

afterAll(async () => {
  await browser?.close();
  await outage?.close();
  await windowed?.close();
  if (parent) await new Promise((resolve) => parent.close(resolve));
  await env?.close();
}, 120_000);

const newPage = (header: string): Promise<Page> =>
  newBrowserPage(browser, { language: header, wait: WAIT, width: 1024, height: 700 });

async function open(page: Page, url: string, base = env.baseUrl): Promise<void> {
  await page.goto(`${base}${url}`);
  await page.waitForSelector('html[data-hydrated]');
  await page.waitForNetworkIdle({ idleTime: 150, timeout: WAIT });
}

/** Expands what a reader can expand (machine-read text), so its words are read too. */
async function expandAll(page: Page): Promise<void> {
  await page.$$eval('details', (all) => {
    for (const d of all) (d as HTMLDetailsElement).open = true;
  });
}

// ---------------------------------------------------------------------------------------------

test('the checker itself catches a key, a placeholder, a code, a MIME type and an English word', async () => {
  const page = await newPage('pt-BR');
  await open(page, '/login');
  await page.evaluate(() => {
    const add = (html: string) => document.body.insertAdjacentHTML('beforeend', html);
    add('<p>search.title</p>');
    add('<p>Olá {name}</p>');
    add('<p>Status: ClosedClient</p>');
    add('<p>Arquivo image/jpeg</p>');
    add('<p title="Download the file">x</p>');
    add('<p>entregue · consumed</p>');
  });
  const problems = untranslated(await collect(page), 'pt-BR').join('\n');
  expect(problems).toContain('raw i18n key "search.title"');
  expect(problems).toContain('unreplaced placeholder "{name}"');
  expect(problems).toContain('raw code "ClosedClient"');
  expect(problems).toContain('raw code "image/jpeg"');
  expect(problems).toContain('[title]: English "download"');
  expect(problems).toContain('raw code "consumed"');
  // Archived content is never judged: the fixtures' own words pass.
  expect(untranslated([{ text: 'Guia_devolucion_DEV-55821.pdf', where: 'x' }], 'pt-BR')).toEqual([]);
  await page.browserContext().close();
});

describe.each(LANGUAGES)('every screen in $locale', ({ locale, header }) => {
  let page: Page;
  const check = async (screen: string, target: Page | Frame = page) => {
    const problems = untranslated(await collect(target), locale);
    expect({ screen, problems }).toEqual({ screen, problems: [] });
  };

  beforeAll(async () => {
    // Logged in once; each test below opens the screens it reads (any one runs alone with -t).
    page = await newPage(header);
    await logIn(page, env.baseUrl, botAuthorization(LATAM));
  });
  afterAll(async () => {
    await page?.browserContext().close();
  });

  test('login: the key form, then a wrong key refused', async () => {
    const anonymous = await newPage(header);
    try {
      await open(anonymous, '/login');
      expect(await anonymous.$eval('html', (h) => h.lang)).toBe(locale);
      await check('login', anonymous);
      const wrong = fixtureIndex().invalidAuthorizations.find((a) => a.why === 'known bot, wrong access key');
      await anonymous.type('#bot-key', wrong?.authorization as string);
      await anonymous.click('button[type=submit]');
      await anonymous.waitForSelector('#login-error');
      await check('login: wrong key', anonymous);
    } finally {
      await anonymous.browserContext().close();
    }
  });

  test('login inside the portal: connecting, no answer, the portal failing, the portal key refused', async () => {
    const portal = await newPage(header);
    try {
      const frameOf = async (mode: string) => {
        await portal.goto(`${parentOrigin}/?mode=${mode}`);
        const handle = await portal.waitForSelector('#ext');
        const frame = (await handle?.contentFrame()) as Frame;
        await frame.waitForSelector('html[data-hydrated]');
        return frame;
      };
      // A portal that never answers: the frame says it is connecting…
      let frame = await frameOf('silent');
      await frame.waitForSelector('#login-title + p[role=status]');
      await check('portal: connecting', frame);
      // …until each request to the portal gives up (PORTAL_REQUEST_MS) and it says the portal gave no key.
      await frame.waitForSelector('#portal-failure[data-reason=portal]', { timeout: 60_000 });
      await check('portal: no answer', frame);
      frame = await frameOf('error');
      await frame.waitForSelector('#portal-failure[data-reason=portal]');
      await check('portal: no key from the portal', frame);
      frame = await frameOf('refuse');
      await frame.waitForSelector('#portal-failure[data-reason=refused]');
      await check('portal: key refused', frame);
    } finally {
      await portal.browserContext().close();
    }
  }, 120_000);

  test('login inside the portal: the session cookie not kept, then the hand-off timing out', async () => {
    const portal = await newPage(header);
    const held: HTTPRequest[] = [];
    const hold = (req: HTTPRequest) => {
      if (req.method() === 'POST' && new URL(req.url()).pathname === '/v1/session') held.push(req);
      else void req.continue();
    };
    try {
      const frameIn = async (origin: string) => {
        await portal.goto(`${origin}/?mode=good`);
        const handle = await portal.waitForSelector('#ext');
        const frame = (await handle?.contentFrame()) as Frame;
        await frame.waitForSelector('html[data-hydrated]');
        return frame;
      };
      // Framed by another site: the API accepts the key and sets the session cookie, which the
      // browser refuses in a cross-site frame (SameSite=Lax), as a browser blocking third-party
      // cookies does. The frame finds itself not logged in and says so.
      let frame = await frameIn(crossSiteParentOrigin);
      await frame.waitForSelector('#portal-failure[data-reason=not-kept]', { timeout: 60_000 });
      await check('portal: session not kept', frame);
      // The API never answers the login: the hand-off gives up at its deadline (HANDOFF_MS).
      await portal.setRequestInterception(true);
      portal.on('request', hold);
      frame = await frameIn(parentOrigin);
      await frame.waitForSelector('#portal-failure[data-reason=timeout]', { timeout: 60_000 });
      expect(held.length).toBeGreaterThan(0);
      await check('portal: no answer from the API (timeout)', frame);
    } finally {
      portal.off('request', hold);
      for (const req of held.splice(0)) await req.abort().catch(() => undefined);
      await portal.browserContext().close();
    }
  }, 150_000);

  test('a backing service down: search unavailable, and the error page', async () => {
    // The outage API shares this browser's session (see `outage`).
    await open(page, '/?q=pedido', outage.baseUrl);
    await page.waitForSelector('[data-state=unavailable]');
    await check('search: unavailable (search engine and database down)');
    await open(page, '/', outage.baseUrl);
    await page.waitForSelector('[data-state=unavailable]');
    await check('search: unavailable, no filter');
    for (const url of [`/tickets/${JOSE}`, `/contacts/${encodeURIComponent(RAFAEL_CONTACT)}`]) {
      await open(page, url, outage.baseUrl);
      const status = await page.$eval('.error-state', (e) => (e as HTMLElement).dataset.status);
      expect({ url, status }).toEqual({ url, status: '503' });
      await check(`error page (${url}, database down)`);
    }
  });

  test('search: the newest tickets after logging in', async () => {
    await open(page, '/');
    await page.waitForSelector('.results .ticket-row');
    await check('search: newest');
  });

  test('search: results with filters, a filter picked, a text hit', async () => {
    await open(page, '/?q=pedido');
    await page.waitForSelector('.results .ticket-row');
    await check('search: results for "pedido"');
    await open(page, '/');
    // Every kind of filter chip with its count, and every option of the order.
    for (const facet of ['channel', 'status', 'tag'])
      await page.waitForSelector(`.facet-group[data-facet=${facet}] a.chip`);
    expect(await page.$$eval('#f-sort option', (o) => o.length)).toBeGreaterThan(1);
    await check('search: every filter and order');
    for (const facet of ['channel', 'status', 'tag']) {
      const chip = await page.$eval(`.facet-group[data-facet=${facet}] a.chip`, (a) =>
        a.getAttribute('href'),
      );
      await open(page, chip as string);
      await page.waitForSelector(`.facet-group[data-facet=${facet}] a.chip.active`);
      await check(`search: ${facet} filter picked`);
      await open(page, '/');
    }
    for (const sort of await page.$$eval('#f-sort option', (o) =>
      o.map((x) => (x as HTMLOptionElement).value),
    )) {
      await open(page, `/?q=pedido&sort=${encodeURIComponent(sort)}`);
      await page.waitForSelector('.results .ticket-row');
      await check(`search: ordered by "${sort}"`);
    }
    await open(page, '/?has=video');
    await page.waitForSelector('.results .ticket-row');
    await check('search: has video');
    await open(page, '/?q=foto');
    await page.waitForSelector('.results .ticket-row');
    await check('search: text hit');
  });

  test('search: words over the recent months only, then all dates from the notice', async () => {
    await open(page, '/?q=pedido', windowed.baseUrl);
    // The fixtures closed in 2025: nothing in the last 6 months, and the page says why and offers more.
    await page.waitForSelector('[data-state=text-window] a#text-window-all');
    await check('search: words searched in the last 6 months only');
    await page.click('#text-window-all');
    await page.waitForFunction(() => new URLSearchParams(location.search).get('textScope') === 'all');
    await page.waitForSelector('.results .ticket-row');
    // Shareable: the page's own URL asks for all dates, and no notice is left.
    expect(new URL(page.url()).searchParams.get('textScope')).toBe('all');
    expect(new URL(page.url()).searchParams.get('q')).toBe('pedido');
    expect(await page.$('[data-state=text-window]')).toBeNull();
    await check('search: words searched in all dates');
  });

  test('search: no results, and each kind of refused search', async () => {
    await open(page, '/?name=Zxqwvbnmpoiuy');
    await page.waitForSelector('[data-state=empty]');
    await check('search: no results');
    // Each refused by the UI or the API with a reason the page must put in words.
    const refused: [string, string][] = [
      ['from=13/03/2025&to=12/03/2025', 'dates inverted'],
      ['from=31/02/2025', 'a day that does not exist'],
      ['from=ontem', 'not a date'],
      ['phone=123', 'phone too short'],
      ['has=sticker', 'media filter not valid'],
    ];
    for (const [query, why] of refused) {
      await open(page, `/?${query}`);
      await page.waitForSelector('[data-state=invalid]');
      await check(`search: ${why} (${query})`);
    }
    // Odd values the search may refuse or simply not find: either way, in words.
    for (const [query, why] of [
      ['ticket=abc', 'ticket not valid'],
      ['channel=Pombo', 'unknown channel filter'],
    ] as const) {
      await open(page, `/?${query}`);
      await page.waitForSelector('[data-state=invalid], [data-state=empty], .results .ticket-row');
      await check(`search: ${why} (${query})`);
    }
  });

  test('every archived ticket of the tenant, with every kind of message and media', async () => {
    for (const id of [...LATAM_TICKETS, EVERY_KIND]) {
      await open(page, `/tickets/${id}`);
      await page.waitForSelector('.conversation > li');
      // Everything loaded (long tickets page in as the reader scrolls, or asks for more).
      while (!(await page.$('.conversation-end .end'))) {
        const before = await page.$$eval('.conversation > li', (l) => l.length);
        await page.evaluate(() =>
          (document.querySelector('.conversation-end .load-more') as HTMLButtonElement | null)?.click(),
        );
        await page.waitForFunction(
          (n: number) =>
            document.querySelectorAll('.conversation > li').length > n ||
            document.querySelector('.conversation-end .end'),
          {},
          before,
        );
      }
      await expandAll(page);
      await check(`ticket ${id}`);
    }
  });

  test('a transferred ticket: links to the related ticket, agents named, close markers, the contact on the bubbles', async () => {
    for (const [id, relation] of [
      [RAFAEL_1, 'child'],
      [RAFAEL_2, 'parent'],
    ] as const) {
      await open(page, `/tickets/${id}`);
      await page.waitForSelector(`.related-tickets a[data-related=${relation}]`);
      await page.waitForSelector('.closed-marker');
      await page.waitForSelector('.msg.agent .who');
      const who = await page.$$eval('.msg.customer .who', (w) => w.map((x) => x.textContent?.trim()));
      expect(who.length).toBeGreaterThan(0);
      for (const w of who) expect(w).toBe(`Rafael Nogueira · ${DICTIONARIES[locale]['dir.customer']}`);
      await check(`ticket ${id}: related, agents, close markers`);
    }
    await open(page, `/tickets/${RAFAEL_1}`);
    await page.waitForSelector('.conversation a.related-ticket');
  });

  test('another tenant: its search and its ticket, held through a router bot (redirects)', async () => {
    const other = await newPage(header);
    try {
      await open(other, '/login');
      await other.type('#bot-key', botAuthorization(CLINICA));
      await other.click('button[type=submit]');
      await other.waitForSelector('.results .ticket-row');
      await check('search: another tenant', other);
      await open(other, `/tickets/${CLINICA_TICKET}`);
      await other.waitForSelector('.conversation-end .end');
      await check(`ticket ${CLINICA_TICKET}`, other);
    } finally {
      await other.browserContext().close();
    }
  });

  test('the ticket with every kind: broken video and audio, missing file, machine-read text', async () => {
    await open(page, `/tickets/${EVERY_KIND}`);
    await page.waitForSelector('[data-media-kind=video] .media-unplayable');
    await page.waitForSelector('[data-media-kind=audio] .media-unplayable');
    await page.waitForSelector('[data-media-status=unavailable]');
    await page.waitForSelector('[data-media-text]');
    await page.waitForSelector('[data-media-text-status=unreadable]');
    await expandAll(page);
    await check('ticket with every kind');
  });

  test('find in the ticket: matches counted, then nothing found', async () => {
    await open(page, `/tickets/${JOSE}`);
    await page.type('#find-text', 'pedido');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-mark=current]');
    await check('find in ticket: found');
    await page.click('#find-text', { count: 3 });
    await page.type('#find-text', 'zzqqxx');
    await page.waitForFunction(() => !document.querySelector('[data-mark=found], [data-mark=current]'));
    await check('find in ticket: none');
  });

  test('the image lightbox', async () => {
    await open(page, `/tickets/${JOSE}`);
    await page.click('.conversation .thumb');
    await page.waitForSelector('dialog.lightbox[open] img');
    await check('lightbox');
    await page.keyboard.press('Escape');
  });

  test('export: preparing, then ready to download', async () => {
    await open(page, `/tickets/${JOSE}`);
    // The first poll is held until the "preparing" state has been read (no race with a fast PDF).
    const held: HTTPRequest[] = [];
    let holding = true;
    await page.setRequestInterception(true);
    const onRequest = (req: HTTPRequest) => {
      if (holding && /\/v1\/exports\//.test(req.url())) held.push(req);
      else void req.continue();
    };
    page.on('request', onRequest);
    try {
      await page.click('.export-button');
      await page.waitForSelector('.export-status[role=status]');
      await check('export: preparing');
      holding = false;
      for (const req of held.splice(0)) void req.continue();
      await page.waitForSelector('.export-download', { timeout: 120_000 });
      await check('export: ready');
    } finally {
      page.off('request', onRequest);
      await page.setRequestInterception(false);
    }
  });

  test('export: refused by the API, and failed in the worker', async () => {
    for (const [screen, answer] of [
      [
        'export: refused (rate limited)',
        (req: HTTPRequest) =>
          req.method() === 'POST' && /\/exports$/.test(new URL(req.url()).pathname)
            ? req.respond({
                status: 429,
                contentType: 'application/json',
                body: JSON.stringify({ error: 'rate_limited', message: 'Too many requests, slow down' }),
              })
            : req.continue(),
      ],
      [
        'export: failed',
        (req: HTTPRequest) => {
          const p = new URL(req.url()).pathname;
          if (req.method() === 'POST' && /\/exports$/.test(p))
            return req.respond({
              status: 202,
              contentType: 'application/json',
              body: '{"exportId":"exp-x"}',
            });
          if (p === '/v1/exports/exp-x')
            return req.respond({
              status: 200,
              contentType: 'application/json',
              body: JSON.stringify({ status: 'failed', error: 'Chromium crashed while printing' }),
            });
          return req.continue();
        },
      ],
    ] as const) {
      await open(page, `/tickets/${JOSE}`);
      await page.setRequestInterception(true);
      const handler = (req: HTTPRequest) => void answer(req);
      page.on('request', handler);
      try {
        await page.click('.export-button');
        await page.waitForSelector('.export-status.error');
        await check(screen);
      } finally {
        page.off('request', handler);
        await page.setRequestInterception(false);
      }
    }
  });

  test('the contact page, with tickets and without', async () => {
    await open(page, `/contacts/${encodeURIComponent(RAFAEL_CONTACT)}`);
    await page.waitForSelector('.ticket-row');
    await check('contact page');
    await open(page, `/contacts/${encodeURIComponent('5511900000000@wa.gw.msging.net')}`);
    await check('contact page: unknown contact');
  });

  test('not found: an unknown ticket, a malformed ticket id, an unknown page', async () => {
    for (const url of [`/tickets/${randomUUID()}`, '/tickets/not-a-ticket', '/no/such/page']) {
      await page.goto(`${env.baseUrl}${url}`);
      await page.waitForSelector('.error-state');
      await check(`not found: ${url}`);
    }
  });
});

describe('media the browser cannot play', () => {
  test('every media gets a download link; a broken video or audio offers its file, in words', async () => {
    const page = await newPage('pt-BR,pt;q=0.9');
    try {
      await open(page, '/login');
      await page.type('#bot-key', botAuthorization(LATAM));
      await page.click('button[type=submit]');
      await page.waitForSelector('#search-title');
      await open(page, `/tickets/${EVERY_KIND}`);
      for (const kind of ['video', 'audio']) {
        const line = await page.waitForSelector(`[data-media-kind=${kind}] .media-unplayable`);
        if (!line) throw new Error(`no unplayable line for the ${kind}`);
        const { text, href } = await line.evaluate((e) => ({
          text: e.textContent ?? '',
          href: (e.querySelector('a') as HTMLAnchorElement | null)?.href ?? '',
        }));
        expect(text).toContain('Seu navegador não consegue reproduzir este arquivo');
        expect(text).toContain(kind === 'video' ? 'entrega-portaria.mp4' : 'audio-entregador.ogg');
        // The link gives the archived bytes.
        const res = await fetch(href, { signal: AbortSignal.timeout(WAIT) });
        expect(res.status).toBe(200);
        expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(4096);
      }
      const kinds = await page.$$eval('[data-media-kind]', (all) =>
        all.map((m) => ({
          kind: (m as HTMLElement).dataset.mediaKind,
          download: !!m.querySelector('a.media-download[href], a.document[href]'),
        })),
      );
      expect(kinds.map((k) => k.kind).sort()).toEqual(['audio', 'document', 'document', 'image', 'video']);
      expect(kinds.filter((k) => !k.download)).toEqual([]);
      // An image that loads gets no such line.
      await open(page, `/tickets/${JOSE}`);
      await page.waitForSelector('[data-media-kind=image] img');
      expect(await page.$$eval('[data-media-kind=image] .media-unplayable', (l) => l.length)).toBe(0);
    } finally {
      await page.browserContext().close();
    }
  });
});
