import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

/** Flags for Debian's Chromium here: no sandbox as root, and no background calls to the internet. */
export function chromeArgs(): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-dev-shm-usage',
  ];
}

/** Variables Chromium needs to find itself, its fonts and the time zone and locale to print in. */
const PASSED_THROUGH = ['PATH', 'TZ', 'LANG', 'LC_ALL', 'FONTCONFIG_FILE', 'FONTCONFIG_PATH', 'TMPDIR'];

/**
 * Chromium's whole environment: the few variables above and a throw-away HOME. Chromium renders
 * customer content; inheriting the worker's environment would put ARCHIVE_ENCRYPTION_KEY,
 * SESSION_SECRET, SEAL_SIGNING_KEY, DATABASE_URL and the cloud credentials within reach of any
 * renderer exploit (/proc/self/environ), so nothing else is passed.
 */
export function chromiumEnv(home: string, from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = { HOME: home, XDG_CONFIG_HOME: home, XDG_CACHE_HOME: home };
  for (const name of PASSED_THROUGH) {
    const value = from[name];
    if (value) env[name] = value;
  }
  env.PATH ??= '/usr/local/bin:/usr/bin:/bin';
  env.TZ ??= 'UTC';
  env.LANG ??= 'C.UTF-8';
  return env;
}

export async function launchChromium(executablePath: string): Promise<Browser> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'tv-chromium-'));
  const removeHome = () => rmSync(home, { recursive: true, force: true });
  try {
    const browser = await puppeteer.launch({
      executablePath,
      args: chromeArgs(),
      headless: true,
      env: chromiumEnv(home),
    });
    browser.once('disconnected', removeHome);
    return browser;
  } catch (err) {
    removeHome();
    throw err;
  }
}
