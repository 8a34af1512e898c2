/// <reference lib="dom" />
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization, fixtureIndex } from '../../tools/harness/blip-fixtures';
import { chromeArgs } from './chromium';

/**
 * The browser tests' world: every fixture ticket archived through the real pipeline (simulator,
 * Temporal worker, Postgres, Typesense, GCS emulator), then the real API process (`api/main.ts`)
 * started as a child on a free port, serving the built UI (web/build) and the read API.
 */
export interface UiEnv {
  archive: ArchiveEnv;
  baseUrl: string;
  /** Everything the API child printed (for failure messages). */
  apiLog(): string;
  close(): Promise<void>;
}

const repoRoot = path.resolve(__dirname, '../..');
const webDir = path.join(repoRoot, 'web');

/** Builds web/ when web/build is missing or older than any source file. */
export function ensureWebBuild(): void {
  const handler = path.join(webDir, 'build', 'handler.js');
  const built = fs.existsSync(handler) ? fs.statSync(handler).mtimeMs : 0;
  const newest = newestMtime([
    path.join(webDir, 'src'),
    path.join(webDir, 'svelte.config.js'),
    path.join(webDir, 'vite.config.js'),
  ]);
  if (built > newest) return;
  execFileSync(process.execPath, [path.join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build'], {
    cwd: webDir,
    stdio: 'pipe',
    timeout: 180_000,
  });
}

function newestMtime(paths: string[]): number {
  let newest = 0;
  for (const p of paths) {
    if (!fs.existsSync(p)) continue;
    const st = fs.statSync(p);
    if (st.isDirectory()) {
      newest = Math.max(newest, newestMtime(fs.readdirSync(p).map((f) => path.join(p, f))));
    } else newest = Math.max(newest, st.mtimeMs);
  }
  return newest;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Archives every fixture ticket (both tenants) and waits for each workflow to finish. */
export async function archiveAllFixtures(env: ArchiveEnv): Promise<void> {
  const tickets = fixtureIndex().tickets;
  const answers = await Promise.all(
    tickets.map((t) => env.webhook(t.id, botAuthorization(t.bot.split('@')[0] as string))),
  );
  for (const [i, a] of answers.entries()) {
    if (a.statusCode !== 202) throw new Error(`archiving ${tickets[i]?.id}: ${a.statusCode}`);
  }
  await Promise.all(answers.map((a) => env.result(a.body.workflowId as string)));
}

/** `env`: extra variables for the API child; an undefined value removes one (e.g. to test a default). */
export async function startUiEnv(options: { env?: Record<string, string | undefined> } = {}): Promise<UiEnv> {
  ensureWebBuild();
  const archive = await startArchiveEnv();
  try {
    await archiveAllFixtures(archive);
    const api = await startApiChild(archive, options.env);
    return {
      archive,
      baseUrl: api.baseUrl,
      apiLog: api.log,
      async close() {
        await api.close();
        await archive.close();
      },
    };
  } catch (err) {
    await archive.close();
    throw err;
  }
}

export interface ApiChild {
  baseUrl: string;
  log(): string;
  close(): Promise<void>;
}

/**
 * The real API process (`api/main.ts`, serving the built UI) on a free port, over `archive`'s
 * database, bucket and search collections. `healthy: false` waits only until it answers /healthz at
 * all: for an API started with a backing service out of reach (e.g. TYPESENSE_URL on a closed port),
 * whose health check is meant to fail. It signs sessions with the same key as any other API child
 * of the tests, so a browser logged in on one is logged in on another.
 */
export async function startApiChild(
  archive: ArchiveEnv,
  env: Record<string, string | undefined> = {},
  { healthy = true }: { healthy?: boolean } = {},
): Promise<ApiChild> {
  ensureWebBuild();
  let log = '';
  const port = await freePort();
  const child = spawn(path.join(repoRoot, 'node_modules/.bin/tsx'), ['api/main.ts'], {
    cwd: repoRoot,
    env: definedOnly({
      ...process.env,
      ...archive.workerEnv,
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      // The fake Blip portal of the browser tests is another loopback origin.
      UI_FRAME_ANCESTORS: "'self' https://*.blip.ai http://127.0.0.1:*",
      ...env,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => {
    log += d;
  });
  child.stderr?.on('data', (d) => {
    log += d;
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(`${baseUrl}/healthz`, child, () => log, healthy);
  } catch (err) {
    await stopChild(child);
    throw new Error(`${(err as Error).message}\n${log}`);
  }
  return { baseUrl, log: () => log, close: () => stopChild(child) };
}

const definedOnly = (env: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));

async function waitForHealth(
  url: string,
  child: ChildProcess,
  log: () => string,
  healthy = true,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`api exited with ${child.exitCode}: ${log()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200 || !healthy) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`api did not answer ${url} within 60 s`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Headless Chromium with this machine's flags (chromium.ts) and `args` after them. */
export function launchChromium(args: string[] = []): Promise<Browser> {
  return puppeteer.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...chromeArgs(), ...args],
    headless: true,
    protocolTimeout: 60_000,
  });
}

/** A browser test's world: the UI env (startUiEnv) and one Chromium for the whole file. */
export interface BrowserEnv {
  env: UiEnv;
  browser: Browser;
  /** newBrowserPage in this browser. */
  newPage(options: PageOptions): Promise<Page>;
  /** logIn on this env's UI. */
  logIn(page: Page, authorization: string): Promise<void>;
  close(): Promise<void>;
}

export interface BrowserEnvOptions {
  /** Extra variables for the API child (startUiEnv). */
  env?: Record<string, string | undefined>;
  /** Extra Chromium flags (launchChromium). */
  chromeArgs?: string[];
}

export async function startBrowserEnv(options: BrowserEnvOptions = {}): Promise<BrowserEnv> {
  const env = await startUiEnv(options.env ? { env: options.env } : {});
  let browser: Browser;
  try {
    browser = await launchChromium(options.chromeArgs);
  } catch (err) {
    await env.close();
    throw err;
  }
  return {
    env,
    browser,
    newPage: (page) => newBrowserPage(browser, page),
    logIn: (page, authorization) => logIn(page, env.baseUrl, authorization),
    async close() {
      await browser.close();
      await env.close();
    },
  };
}

/**
 * A test file's BrowserEnv, started in a beforeAll and closed in an afterAll that this registers
 * (so before the file's own hooks): its fields are there from the file's first beforeAll on.
 * `artifacts`: a folder for screenshots, made first.
 */
export function browserTestWorld(options: BrowserEnvOptions & { artifacts?: string } = {}): BrowserEnv {
  const world = {} as BrowserEnv;
  beforeAll(async () => {
    if (options.artifacts) fs.mkdirSync(options.artifacts, { recursive: true });
    Object.assign(world, await startBrowserEnv(options));
  }, 300_000);
  afterAll(async () => {
    await world.close?.();
  }, 120_000);
  return world;
}

export interface PageOptions {
  /** Accept-Language. */
  language: string;
  /** Default wait for selectors and functions (navigation: at least 30 s). */
  wait: number;
  width: number;
  height: number;
}

/** A page in a browser context of its own (its own cookie jar, so its own session), speaking `language`. */
export async function newBrowserPage(browser: Browser, options: PageOptions): Promise<Page> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  page.setDefaultTimeout(options.wait);
  page.setDefaultNavigationTimeout(Math.max(30_000, options.wait));
  await page.setExtraHTTPHeaders({ 'accept-language': options.language });
  await page.setViewport({ width: options.width, height: options.height });
  return page;
}

/** Navigates and waits until SvelteKit has hydrated the page (interactive). */
export async function openHydrated(page: Page, url: string) {
  const res = await page.goto(url);
  await page.waitForSelector('html[data-hydrated]');
  return res;
}

/** Logs in with a bot key on the login form, as a person would, and waits for the search screen. */
export async function logIn(page: Page, baseUrl: string, authorization: string): Promise<void> {
  await openHydrated(page, `${baseUrl}/login`);
  await page.type('#bot-key', authorization);
  await page.click('button[type=submit]');
  await page.waitForFunction(() => location.pathname === '/' && document.querySelector('#search-title'));
}
