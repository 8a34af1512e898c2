import fs from 'node:fs';
import { loadConfig } from '../../lib/config';
import { launchChromium } from '../../lib/pdf/chromium';

/**
 * The PDF's Chromium renders customer content: a renderer exploit reads its own environment. The
 * worker's secrets must not be in it (issue 13, "Abuse and the web surface").
 */

const SECRETS = [
  'ARCHIVE_ENCRYPTION_KEY',
  'SESSION_SECRET',
  'DATABASE_URL',
  'SEAL_SIGNING_KEY',
  'PDF_SIGNING_P12_PASSPHRASE',
  'TYPESENSE_API_KEY',
];

function environOf(pid: number): Map<string, string> {
  const raw = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
  return new Map(
    raw
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]),
  );
}

test('Chromium launched for PDFs has no secret or database credential in its environment', async () => {
  const chromiumPath = loadConfig({ CHROMIUM_PATH: process.env.CHROMIUM_PATH }).CHROMIUM_PATH;
  const saved = Object.fromEntries(SECRETS.map((name) => [name, process.env[name]]));
  // As the worker runs in production: every secret in its own environment.
  Object.assign(process.env, {
    ARCHIVE_ENCRYPTION_KEY: 'a'.repeat(64),
    SESSION_SECRET: 'b'.repeat(64),
    DATABASE_URL: 'postgres://ticketvault:hunter2@db.internal:5432/ticketvault',
    SEAL_SIGNING_KEY: 'c2VhbC1rZXktbm90LXJlYWw=',
    PDF_SIGNING_P12_PASSPHRASE: 'p12-passphrase-not-real',
    TYPESENSE_API_KEY: 'typesense-admin-key',
  });
  const browser = await launchChromium(chromiumPath);
  try {
    const pid = browser.process()?.pid;
    expect(pid).toEqual(expect.any(Number));
    const env = environOf(pid as number);
    expect(SECRETS.filter((name) => env.has(name))).toEqual([]);
    const values = [...env.values()].join('\n');
    expect(values).not.toContain('hunter2');
    expect(values).not.toContain('a'.repeat(64));
    // What it does get: a PATH, and a HOME of its own (not the worker's).
    expect(env.get('PATH')).toBeTruthy();
    expect(env.get('HOME')).toMatch(/tv-chromium-/);
    // And it still renders.
    const page = await browser.newPage();
    await page.setContent('<p>ok</p>');
    expect(await page.$eval('p', (p) => p.textContent)).toBe('ok');
  } finally {
    await browser.close();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
});
