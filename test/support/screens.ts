/// <reference lib="dom" />
/**
 * The README's screenshots (docs/screens/): the main screens in pt-BR (and, for checking the
 * translations, es and en under docs/screens/<lang>/ when asked), over the fixture archive, at
 * the Blip portal's panel size. Run against the local stack:
 *   npx tsx test/support/screens.ts            # pt-BR
 *   npx tsx test/support/screens.ts es en      # the other languages too
 */
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { setTenantName } from '../../lib/db/tenants';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import { chromeArgs } from './chromium';
import { startUiEnv } from './e2e-env';

const JOSE = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67';
const OUT = path.resolve(__dirname, '../../docs/screens');
const LANGS: Record<string, string> = {
  'pt-BR': 'pt-BR,pt;q=0.9',
  es: 'es-MX,es;q=0.9',
  en: 'en-US,en;q=0.9',
};

async function main() {
  const wanted = ['pt-BR', ...process.argv.slice(2).filter((l) => l in LANGS && l !== 'pt-BR')];
  const env = await startUiEnv();
  await setTenantName(env.archive.db, 'atendimentolatam', 'Loja Exemplo LATAM');
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: chromeArgs(),
    headless: true,
  });
  try {
    for (const lang of wanted) {
      const dir = lang === 'pt-BR' ? OUT : path.join(OUT, lang);
      fs.mkdirSync(dir, { recursive: true });
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      await page.setExtraHTTPHeaders({ 'accept-language': LANGS[lang] as string });
      await page.setViewport({ width: 1024, height: 700 });
      const shot = (name: string) => page.screenshot({ path: path.join(dir, `${name}.png`) });
      const open = async (url: string) => {
        await page.goto(`${env.baseUrl}${url}`);
        await page.waitForSelector('html[data-hydrated]');
        await page.waitForNetworkIdle({ idleTime: 200 });
      };

      await open('/login');
      await shot('login');
      await page.type('#bot-key', botAuthorization('atendimentolatam'));
      await page.click('button[type=submit]');
      await page.waitForFunction(() => location.pathname === '/' && document.querySelector('#search-title'));
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
      await context.close();
      console.log(
        `${lang}: ${fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.png'))
          .join(', ')}`,
      );
    }
  } finally {
    await browser.close();
    await env.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
