/// <reference lib="dom" />
/**
 * The README's screenshots (docs/screens/): the main screens in pt-BR (and, for checking the
 * translations, es and en under docs/screens/<lang>/ when asked), over the fixture archive, at
 * the Blip portal's panel size. Run against the local stack:
 *   npx tsx test/support/screens.ts            # pt-BR
 *   npx tsx test/support/screens.ts es en      # the other languages too
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTenantName } from '../../lib/db/tenants';
import { botAuthorization, fixtureIndex } from '../../tools/harness/blip-fixtures';
import { logIn, newBrowserPage, startBrowserEnv } from './e2e-env';

const JOSE = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67';
const LATAM = 'atendimentolatam';
/** Rafael's BlipChat identity: two archived tickets, so the contact page has a history to show. */
const RAFAEL = 'b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d.atendimentolatam@0mn.io';
const OUT = path.resolve(__dirname, '../../docs/screens');
const LANGS: Record<string, string> = {
  'pt-BR': 'pt-BR,pt;q=0.9',
  es: 'es-MX,es;q=0.9',
  en: 'en-US,en;q=0.9',
};

/**
 * A stand-in for the Blip portal: the extension in an iframe filling the panel (1024×700), answering
 * the hand-off (iframe-message-proxy) with the bot, the portal user and the portal's language.
 */
function portalPage(frameUrl: string, language: string): string {
  const bot = fixtureIndex().bots.find((b) => b.identifier === LATAM);
  return `<!doctype html><html><head><title>Blip</title>
<style>html,body{margin:0;height:100%;overflow:hidden}iframe{border:0;width:100%;height:100%;display:block}</style>
</head><body><iframe id="ext" title="ticket-vault" src="${frameUrl}"></iframe>
<script>
window.addEventListener('message', (event) => {
  const data = event.data || {};
  const msg = data.message || {};
  const id = data.trackingProperties && data.trackingProperties.id;
  if (!id || typeof msg.action !== 'string') return;
  let response;
  switch (msg.action) {
    case 'blipEvent:getApplication':
      response = { shortName: ${JSON.stringify(LATAM)}, name: 'Loja Exemplo', applicationJson: { identifier: ${JSON.stringify(LATAM)}, accessKey: ${JSON.stringify(bot?.accessKey)} } };
      break;
    case 'blipEvent:sendCommand':
      response = { fullName: 'Agente Portal', email: 'agente.portal@lojaexemplo.com.br', identity: 'agente.portal%40lojaexemplo.com.br@blip.ai' };
      break;
    case 'blipEvent:getCurrentLanguage':
      response = ${JSON.stringify(language)};
      break;
    default:
      event.source.postMessage({ error: 'unsupported', trackingProperties: { id } }, '*');
      return;
  }
  event.source.postMessage({ response, trackingProperties: { id } }, '*');
});
</script></body></html>`;
}

async function main() {
  const wanted = ['pt-BR', ...process.argv.slice(2).filter((l) => l in LANGS && l !== 'pt-BR')];
  const world = await startBrowserEnv();
  const { env, browser } = world;
  try {
    await setTenantName(env.archive.db, 'atendimentolatam', 'Loja Exemplo LATAM');
    for (const lang of wanted) {
      const dir = lang === 'pt-BR' ? OUT : path.join(OUT, lang);
      fs.mkdirSync(dir, { recursive: true });
      const panel = { language: LANGS[lang] as string, wait: 20_000, width: 1024, height: 700 };
      const page = await newBrowserPage(browser, panel);
      const shot = (name: string) => page.screenshot({ path: path.join(dir, `${name}.png`) });
      const open = async (url: string) => {
        await page.goto(`${env.baseUrl}${url}`);
        await page.waitForSelector('html[data-hydrated]');
        await page.waitForNetworkIdle({ idleTime: 200 });
      };

      await open('/login');
      await shot('login');
      await logIn(page, env.baseUrl, botAuthorization('atendimentolatam'));
      await page.waitForNetworkIdle({ idleTime: 200 });
      await shot('search');

      await open('/?q=foto');
      await shot('results');

      const hit = await page.$eval('.results .ticket-link', (a) =>
        (a as HTMLAnchorElement).getAttribute('href'),
      );
      await open(hit ?? `/tickets/${JOSE}`);
      await shot('ticket');

      await page.type('#find-text', 'pedido');
      await page.keyboard.press('Enter');
      await new Promise((r) => setTimeout(r, 300));
      await shot('find-in-ticket');

      await open(`/tickets/${JOSE}`);
      await page.click('.export-button');
      await page.waitForSelector('.export-download', { timeout: 120_000 });
      await page.evaluate(() => window.scrollTo(0, 0));
      await shot('export');

      await open(`/contacts/${encodeURIComponent(RAFAEL)}`);
      await shot('contact');

      // Inside the portal: a fresh browser context (no session), logged in by the hand-off.
      const portal = await newBrowserPage(browser, panel);
      const parent = http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(portalPage(`${env.baseUrl}/`, lang === 'pt-BR' ? 'pt' : lang));
      });
      await new Promise<void>((resolve) => parent.listen(0, '127.0.0.1', resolve));
      try {
        await portal.goto(`http://127.0.0.1:${(parent.address() as AddressInfo).port}/`);
        const frame = await (await portal.waitForSelector('#ext'))?.contentFrame();
        if (!frame) throw new Error('no portal frame');
        await frame.waitForSelector('.results .ticket-row');
        await portal.waitForNetworkIdle({ idleTime: 200 });
        await portal.screenshot({ path: path.join(dir, 'portal.png') });
      } finally {
        await new Promise((resolve) => parent.close(resolve));
        await portal.browserContext().close();
      }
      // Redaction options: kinds ticked, one message picked to hide, a reason.
      await open(`/tickets/${JOSE}`);
      await page.click('.redact summary');
      await page.click('input[name=redact-kind][value=cpf]');
      await page.click('input[name=redact-kind][value=email]');
      await page.type('#redact-reason', 'LGPD');
      await page.click('.redact-pick-button');
      await page.click('.pick-hide input');
      await page.setViewport({ width: 1024, height: 1100 });
      await page.evaluate(() => window.scrollTo(0, 0));
      await shot('export-redact');
      await page.setViewport({ width: 1024, height: 700 });
      await page.browserContext().close();
      console.log(
        `${lang}: ${fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.png'))
          .join(', ')}`,
      );
    }
  } finally {
    await world.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
