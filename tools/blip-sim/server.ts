import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { adminRoutes } from './admin';
import { type Clock, systemClock, toDate } from './clock';
import { handleCommand } from './commands';
import { rewriteMediaHost } from './envelope';
import { FaultController, type FaultDecision, type FaultSettings } from './faults';
import {
  type FixtureSet,
  type JsonObject,
  loadFixtureDir,
  type SimBot,
  type SimMedia,
  type SimTicket,
} from './fixtures';
import { fixturesDir } from './fixtures-dir';
import { mediaSha256 } from './media-bytes';
import { serveMedia } from './media-host';
import { signedMediaUri } from './media-signing';
import { RequestLog, type RequestLogEntry } from './request-log';
import { type AddMediaInput, type AddTicketInput, SimStore } from './store';

/**
 * A faithful stand-in for Blip's HTTP command API and its media host (docs/blip-api.md §11), on one
 * 127.0.0.1 port: `POST <commandsPath>` for LIME commands, `GET /secure-medias/…` and
 * `GET /public/…` for media (every `http://blip-media.local` in responses is rewritten to this
 * origin), and `/_admin/…` for tests (faults, request log, clock, generated tickets and media).
 */

export { DEFAULT_FIXTURES_DIR } from './fixtures-dir';

export interface BlipSimulatorOptions {
  /** A fixture directory in the layout of fixtures/blip (default: BLIP_FIXTURES_DIR, or that one). */
  fixturesDir?: string;
  /** Already loaded fixtures (takes precedence over fixturesDir). */
  fixtures?: FixtureSet;
  /** Default: real time, so fixture media links are expired. */
  clock?: Clock;
  /** Origin written into media links; default this simulator's own http://127.0.0.1:<port>. */
  mediaBaseUrl?: string;
  /** Per-run faults; POST /_admin/reset returns to these. */
  faults?: Partial<FaultSettings>;
  maxRequestLog?: number;
  bodyLimitBytes?: number;
}

export interface SimulatorAddress {
  /** http://127.0.0.1:<port> */
  url: string;
  /** What BLIP_API_URL should be. */
  commandsUrl: string;
  /** The origin media links point at. */
  mediaUrl: string;
}

export interface AddedMedia {
  path: string;
  size: number;
  /** The link as Blip would store it in a message (fixture media host); rewritten in responses. */
  uri: string;
  sha256(): Promise<string>;
}

const LIME_METHODS = new Set(['get', 'set', 'merge', 'delete', 'subscribe', 'unsubscribe', 'observe']);
const KEY_HEADER = /^Key ([A-Za-z0-9+/=]+)$/;

export class BlipSimulator {
  readonly fixtures: FixtureSet;
  readonly store: SimStore;
  readonly faults: FaultController;
  private readonly log: RequestLog;
  private readonly baseClock: Clock;
  private clockOverride: Date | null = null;
  private server: http.Server | null = null;
  private address: SimulatorAddress | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly closing = new AbortController();
  private readonly initialFaults: Partial<FaultSettings>;
  private readonly bodyLimit: number;

  constructor(private readonly options: BlipSimulatorOptions = {}) {
    this.fixtures = options.fixtures ?? loadFixtureDir(options.fixturesDir ?? fixturesDir());
    this.store = new SimStore(this.fixtures);
    this.initialFaults = options.faults ?? {};
    this.faults = new FaultController(this.initialFaults);
    this.log = new RequestLog(options.maxRequestLog ?? 50_000);
    this.baseClock = options.clock ?? systemClock;
    this.bodyLimit = options.bodyLimitBytes ?? 1024 * 1024;
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────────────────────

  async listen(port = 0, host = '127.0.0.1'): Promise<SimulatorAddress> {
    if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) {
      throw new Error(`the Blip simulator binds to loopback only (127.x.x.x), not ${host}`);
    }
    if (this.server) throw new Error('the Blip simulator is already listening');
    const server = http.createServer((req, res) => void this.onRequest(req, res));
    server.keepAliveTimeout = 30_000;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const bound = server.address();
    const actualPort = typeof bound === 'object' && bound ? bound.port : port;
    const url = `http://${host}:${actualPort}`;
    const mediaUrl = (this.options.mediaBaseUrl ?? url).replace(/\/+$/, '');
    this.address = { url, commandsUrl: `${url}${this.fixtures.commandsPath}`, mediaUrl };
    return this.address;
  }

  /** Stops listening and cuts every open connection, hung requests included. */
  async close(): Promise<void> {
    this.closing.abort();
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  get urls(): SimulatorAddress {
    if (!this.address) throw new Error('the Blip simulator is not listening yet');
    return this.address;
  }

  // ── knobs for tests ────────────────────────────────────────────────────────────────────────

  now(): Date {
    return this.clockOverride ? new Date(this.clockOverride.getTime()) : this.baseClock.now();
  }

  /** Fixes the simulator clock at `at`, or returns to the injected clock with null. */
  setClock(at: Date | string | null): void {
    this.clockOverride = at === null ? null : toDate(at);
  }

  get requestLog(): RequestLogEntry[] {
    return this.log.list();
  }

  requestsSince(seq: number): RequestLogEntry[] {
    return this.log.list(seq);
  }

  clearRequestLog(): void {
    this.log.clear();
  }

  /** Back to the per-run faults, empty queue and log, injected clock. Registered tickets stay. */
  reset(): void {
    this.faults.reset(this.initialFaults);
    this.log.clear();
    this.clockOverride = null;
  }

  get bots(): Array<SimBot & { authorization: string }> {
    return this.store.bots.map((b) => ({ ...b, authorization: authorizationOf(b) }));
  }

  authorizationOf(identifier: string): string {
    const bot = this.store.bots.find((b) => b.identifier === identifier);
    if (!bot) throw new Error(`no bot ${identifier} in ${this.fixtures.dir}`);
    return authorizationOf(bot);
  }

  /** Rotates the bot's key (`accessKey` as the portal shows it); returns the new `Key …` value. */
  setBotKey(identifier: string, accessKey: string): string {
    return authorizationOf(this.store.setBotKey(identifier, accessKey));
  }

  addTicket(input: AddTicketInput): SimTicket {
    return this.store.addTicket(input);
  }

  addMedia(input: AddMediaInput): AddedMedia {
    const item = this.store.addMedia(input);
    return {
      path: item.path,
      size: item.size,
      uri: this.canonicalMediaUri(item),
      sha256: () => mediaSha256(item),
    };
  }

  /** A link as Blip would issue it now (or at `issuedAt`), on the fixture media host. */
  signedMediaUri(mediaPath: string, issuedAt: Date = this.now()): string {
    return signedMediaUri(this.fixtures.mediaHost, mediaPath, issuedAt, this.fixtures.signingKey);
  }

  /** Turns a fixture-host link into one this simulator serves. */
  publicUri(uri: string): string {
    return String(rewriteMediaHost(uri, this.fixtures.mediaHost, this.mediaBaseUrl()));
  }

  async mediaSha256(mediaPath: string): Promise<string> {
    const item = this.store.mediaAt(mediaPath);
    if (!item) throw new Error(`no media at ${mediaPath}`);
    return mediaSha256(item);
  }

  private canonicalMediaUri(item: SimMedia): string {
    return item.requiresSignature ? this.signedMediaUri(item.path) : `${this.fixtures.mediaHost}${item.path}`;
  }

  private mediaBaseUrl(): string {
    return this.address?.mediaUrl ?? this.fixtures.mediaHost;
  }

  // ── HTTP ───────────────────────────────────────────────────────────────────────────────────

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    try {
      if (url.pathname.startsWith('/_admin/')) {
        await adminRoutes(this, req, res, url);
      } else if (url.pathname === this.fixtures.commandsPath) {
        await this.onCommand(req, res, url);
      } else if (req.method === 'GET' || req.method === 'HEAD') {
        await this.onMedia(req, res, url);
      } else {
        this.logOther(req, url, 405);
        sendEmpty(res, 405);
      }
    } catch (err) {
      if (!res.headersSent) sendJson(res, 500, { error: (err as Error).message });
      else res.destroy();
    }
  }

  private logOther(req: IncomingMessage, url: URL, status: number): void {
    this.log.add({
      at: this.now().toISOString(),
      kind: 'other',
      httpMethod: req.method ?? '',
      url: url.pathname + url.search,
      bot: null,
      status,
      outcome: 'answered',
      fault: null,
    });
  }

  /** A request-log entry for a request as it arrives; handlers fill in status, bot and fault. */
  private logRequest(kind: 'command' | 'media', req: IncomingMessage, url: URL) {
    return this.log.add({
      at: this.now().toISOString(),
      kind,
      httpMethod: req.method ?? '',
      url: url.pathname + url.search,
      bot: null,
      status: null,
      outcome: 'answered',
      fault: null,
    });
  }

  private async onCommand(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const entry = this.logRequest('command', req, url);
    if (req.method !== 'POST') {
      entry.status = 405;
      return sendEmpty(res, 405);
    }
    const body = await readBody(req, this.bodyLimit);
    if (body === null) {
      entry.status = 413;
      return sendEmpty(res, 413);
    }
    const command = parseJsonObject(body);
    if (command) {
      entry.command = {
        ...(typeof command.id === 'string' ? { id: command.id } : {}),
        ...(typeof command.method === 'string' ? { method: command.method } : {}),
        ...(typeof command.uri === 'string' ? { uri: command.uri } : {}),
        ...(typeof command.to === 'string' ? { to: command.to } : {}),
        ...(typeof command.type === 'string' ? { type: command.type } : {}),
      };
    }
    const decision = this.faults.decide('commands', typeof command?.uri === 'string' ? command.uri : '');
    if (!(await this.preamble(decision, req, res, entry))) return;

    const bot = this.authenticate(req.headers.authorization);
    if (!bot) {
      entry.status = 401;
      return sendEmpty(res, 401);
    }
    entry.bot = bot.identity;
    if (
      !command ||
      typeof command.method !== 'string' ||
      !LIME_METHODS.has(command.method) ||
      typeof command.uri !== 'string' ||
      !command.uri.startsWith('/')
    ) {
      entry.status = 400;
      return sendEmpty(res, 400);
    }
    const real = handleCommand(
      {
        store: this.store,
        fixtures: this.fixtures,
        now: () => this.now(),
        mediaOrigins: () => [new URL(this.fixtures.mediaHost).origin, new URL(this.mediaBaseUrl()).origin],
        takeExpiredLink: () => this.faults.takeExpiredLink(String(command.uri)),
      },
      bot.identity,
      {
        id: typeof command.id === 'string' && command.id !== '' ? command.id : randomUUID(),
        method: command.method,
        uri: command.uri,
        ...(typeof command.to === 'string' ? { to: command.to } : {}),
        ...(typeof command.type === 'string' ? { type: command.type } : {}),
        ...('resource' in command ? { resource: command.resource } : {}),
      },
    );
    const envelope = replacedEnvelope(decision.action, real);
    if (envelope !== real) entry.fault = decision.action.kind;
    const reason = envelope.reason as { code?: number } | undefined;
    entry.lime = {
      status: String(envelope.status),
      ...(reason?.code === undefined ? {} : { reasonCode: reason.code }),
    };
    const out = rewriteMediaHost(envelope, this.fixtures.mediaHost, this.mediaBaseUrl());
    const bytes = Buffer.from(JSON.stringify(out), 'utf8');
    entry.status = 200;
    if (decision.action.kind === 'truncate') {
      entry.outcome = 'truncated';
      entry.fault = 'truncate';
      res.writeHead(200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': String(bytes.length),
      });
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
      res.destroy();
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(bytes.length),
    });
    res.end(bytes);
  }

  private async onMedia(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const entry = this.logRequest('media', req, url);
    const decision = this.faults.decide('media', url.pathname);
    if (!(await this.preamble(decision, req, res, entry))) return;
    const answer = await serveMedia(req, res, {
      store: this.store,
      fixtures: this.fixtures,
      now: () => this.now(),
      truncate: decision.action.kind === 'truncate',
      closing: this.closing.signal,
      onBytes: (count) => {
        entry.bytesSent = (entry.bytesSent ?? 0) + count;
      },
      onStatus: (status) => {
        entry.status = status;
      },
    });
    entry.status = answer.status;
    if (answer.truncated) {
      entry.outcome = 'truncated';
      entry.fault = 'truncate';
    } else if (decision.action.kind === 'truncate' && decision.queued) {
      this.faults.giveBack(decision.queued);
    }
  }

  /**
   * Latency, then the fault if any. Returns true when the request should be answered normally
   * (also for a truncate, which the caller applies to the body).
   */
  private async preamble(
    decision: FaultDecision,
    req: IncomingMessage,
    res: ServerResponse,
    entry: RequestLogEntry,
  ): Promise<boolean> {
    if (decision.latencyMs > 0) {
      await abortableDelay(decision.latencyMs, this.closing.signal);
      if (this.closing.signal.aborted || req.socket.destroyed) {
        entry.outcome = 'dropped';
        return false;
      }
    }
    const action = decision.action;
    switch (action.kind) {
      case 'drop':
        entry.outcome = 'dropped';
        entry.fault = 'drop';
        req.socket.destroy();
        return false;
      case 'hang':
        // Never answer; the client's timeout (or close()) ends it.
        entry.outcome = 'hung';
        entry.fault = 'hang';
        return false;
      case 'status':
        entry.status = action.status;
        entry.fault = action.label;
        res.writeHead(action.status, {
          'Content-Length': '0',
          ...(action.retryAfterSeconds === null ? {} : { 'Retry-After': String(action.retryAfterSeconds) }),
        });
        res.end();
        return false;
      default:
        return true;
    }
  }

  private authenticate(header: string | undefined): SimBot | undefined {
    const match = KEY_HEADER.exec(header ?? '');
    if (!match?.[1]) return undefined;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return undefined;
    return this.store.botByCredentials(decoded.slice(0, colon), decoded.slice(colon + 1));
  }
}

export function createBlipSimulator(options: BlipSimulatorOptions = {}): BlipSimulator {
  return new BlipSimulator(options);
}

/** The response a 'lime-failure' or 'malformed-success' fault puts in place of the real one. */
function replacedEnvelope(action: FaultDecision['action'], real: JsonObject): JsonObject {
  const head = { id: real.id, method: real.method, from: real.from, to: real.to };
  if (action.kind === 'lime-failure') {
    const reason = {
      ...(action.reasonCode === undefined ? {} : { code: action.reasonCode }),
      description: action.description,
    };
    return { ...head, status: 'failure', reason } as JsonObject;
  }
  if (action.kind === 'malformed-success') return { ...head, status: 'success' } as JsonObject;
  return real;
}

function authorizationOf(bot: SimBot): string {
  return `Key ${Buffer.from(`${bot.identifier}:${bot.secret}`, 'utf8').toString('base64')}`;
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'Content-Length': '0' });
  res.end();
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const bytes = Buffer.from(JSON.stringify(value), 'utf8');
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(bytes.length),
  });
  res.end(bytes);
}

/** The body, or null when it is larger than `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function parseJsonObject(body: Buffer): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as JsonObject)
      : undefined;
  } catch {
    return undefined;
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
