import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { parsePublicKeys, parseSigningKey } from './integrity/keys';
import { ocrLanguages } from './media-text/limits';

/**
 * Every setting of the product, read once from the environment and validated. `.env.example`
 * documents each one; a bad value stops the process with a message naming the variable.
 */

const port = z.coerce.number().int().min(1).max(65535);
const url = z.string().url();
const KEY_FORMAT =
  'must be 32 bytes written as 64 hex or 44 base64 chars (make one with: openssl rand -hex 32)';
const secretKey = z
  .string()
  .default('')
  .refine((s) => s === '' || decodeKey(s) !== null, KEY_FORMAT);
/** `host:port` (a name, an IPv4 address or a bracketed IPv6 one; port 1-65535), or null. */
export function parseHostPort(item: string): { host: string; port: number } | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):(\d{1,5})$/.exec(item);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  const host = (m[1] as string).replace(/^\[(.*)\]$/, '$1');
  if (m[1]?.startsWith('[') && isIP(host) !== 6) return null;
  return { host, port };
}

/** A comma-separated setting as its trimmed, non-empty items. */
const splitList = (s: string) =>
  s
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
const commaList = z.string().default('').transform(splitList);
const secretKeyList = commaList.refine(
  (list) => list.every((k) => decodeKey(k) !== null),
  `each key ${KEY_FORMAT}`,
);

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: port.default(3000),
  /** Largest webhook body accepted, in bytes; Blip's action sends about 200. */
  WEBHOOK_BODY_LIMIT: z.coerce.number().int().min(256).max(1_048_576).default(4096),

  /** Webhooks accepted per bot per minute before 429 (Blip retries the action later). */
  WEBHOOK_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(1200),
  WEBHOOK_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),

  /**
   * Proxies in front of the API whose X-Forwarded-For the API believes, so rate limits key on the
   * real client behind an ingress: a hop count (`1` for one ingress; each counted proxy must be a
   * loopback or private address, so a client reaching the API directly over the internet cannot
   * forge its address) or comma-separated addresses and CIDRs of the proxies (`10.0.0.0/8`), the
   * strict form. Default: trust nothing (the socket address counts, X-Forwarded-For is ignored).
   * `true` (trust every hop) is refused. See api/plugins/trust-proxy.ts.
   */
  TRUST_PROXY: z
    .string()
    .default('')
    .transform((s, ctx): TrustProxy => parseTrustProxy(s, ctx)),
  /**
   * Extra origins (comma-separated, `https://vault.example.com`) whose pages may send state-changing
   * requests with the session cookie. The API's own origin (PUBLIC_API_URL and the request's Host) is
   * always allowed; every other Origin is refused (CSRF).
   */
  CSRF_ALLOWED_ORIGINS: commaList.refine(
    (list) => list.every((o) => URL.canParse(o) && new URL(o).origin === o.replace(/\/$/, '')),
    {
      message: 'must be comma-separated origins (scheme://host[:port]) such as https://vault.example.com',
    },
  ),
  /** Ticket searches per tenant per minute before 429. */
  SEARCH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
  /**
   * Ticket reads, media re-links, contact reads, verifications and export-state reads (the UI polls
   * every second) per tenant per minute before 429 (each route counts apart, per API process; keyed
   * like searches, so a forged key cannot spend a tenant's budget).
   */
  READ_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(1200),
  /** Export creations (ticket, contact) per tenant per minute before 429, each route apart, per API process. */
  EXPORT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(60),
  /**
   * How long one API process reuses the message-text matches of a free-text search (per tenant,
   * words and filter mode), so the next page, a refined filter or the same words again skip the
   * costliest Typesense query; 0 disables. A ticket archived meanwhile shows up at the latest this
   * much later; an erased one never does (the tickets query, never cached, no longer finds it).
   */
  SEARCH_TEXT_CACHE_SECONDS: z.coerce.number().min(0).max(3600).default(30),
  /**
   * Free text without a date range searches the messages sent in this many recent months (issue 17:
   * bounds the matches of common words; measured in docs/performance.md); the answer says so
   * (`textWindow`) and `textScope=all` or an explicit from/to searches every date. 0 (the default): no
   * window. Off by default: at 400 000 messages the windowed search measured slower than all dates in
   * Typesense 0.24 (the filter runs after the word lists; docs/performance.md), and an archive's
   * first promise is that an old conversation is found without knowing to ask for it.
   */
  SEARCH_TEXT_DEFAULT_MONTHS: z.coerce.number().int().min(0).max(600).default(0),
  /**
   * Who may frame the UI (CSP frame-ancestors): the Blip portal by default. Space-separated CSP
   * sources, e.g. "'self' https://*.blip.ai".
   */
  UI_FRAME_ANCESTORS: z
    .string()
    .regex(/^[A-Za-z0-9'*:/. _-]+$/, 'CSP sources only (letters, digits, quotes, *, :, /, ., -)')
    .default("'self' https://*.blip.ai"),
  /**
   * The login inside the Blip portal (web/src/lib/portal-handoff.ts): how long the whole hand-off
   * may take before the page says it timed out, and how long each question to the portal waits
   * for its answer. The defaults suit a slow portal; the browser tests shorten them so their walk
   * through the timeout screens does not wait half a minute each.
   */
  UI_PORTAL_HANDOFF_MS: z.coerce.number().int().min(500).max(300_000).default(30_000),
  UI_PORTAL_REQUEST_MS: z.coerce.number().int().min(200).max(60_000).default(5_000),
  /** Read API sessions (cookie from POST /v1/session). */
  SESSION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(8 * 3600),
  /**
   * A session unused this long ends; every use renews it, up to SESSION_TTL_SECONDS after login
   * (the ceiling). Clamped to SESSION_TTL_SECONDS.
   */
  SESSION_IDLE_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(3600),
  /**
   * How long Blip's answer "this key is valid" is reused for logins and `Authorization: Key` reads
   * before Blip is asked again (a key revoked in Blip stops working within this time). 0: every time.
   */
  LOGIN_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).max(900).default(60),
  /**
   * Session cookie over https: `Secure; SameSite=None; Partitioned`, the only kind a browser keeps in
   * the Blip portal's cross-site iframe; over http `SameSite=Lax`. `auto`: https when the request came
   * over https (TLS here, or X-Forwarded-Proto from a trusted proxy); `true`/`false` force it.
   */
  COOKIE_SECURE: z
    .enum(['auto', 'true', 'false'])
    .default('auto')
    .transform((v) => (v === 'auto' ? ('auto' as const) : v === 'true')),
  /** PDF exports one tenant may have running at once (API); one more gets 429. */
  EXPORT_MAX_CONCURRENT_PER_TENANT: z.coerce.number().int().min(1).max(1000).default(3),
  /** Ticket verifications one tenant may have in progress at once (per API process); one more gets 429. */
  VERIFY_MAX_CONCURRENT_PER_TENANT: z.coerce.number().int().min(1).max(1000).default(2),
  /** Ticket reads (`GET /v1/tickets/:id`) one tenant may have in progress at once (per API process); one more gets 429. */
  TICKET_READ_MAX_CONCURRENT_PER_TENANT: z.coerce.number().int().min(1).max(1000).default(8),
  /** Most messages one PDF export may hold (a ticket, or all of a contact's tickets in the range); more gets 422. */
  EXPORT_MAX_MESSAGES: z.coerce.number().int().min(1).max(10_000_000).default(20_000),
  /** Lifetime of the signed media and export links the API hands out. */
  SIGNED_URL_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(300),

  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('ticket-vault'),
  /** Temporal Cloud API key (sent as a bearer token over TLS); unset for a local or mTLS server. */
  TEMPORAL_API_KEY: z.string().optional(),
  /** mTLS client certificate and key: a PEM file path (a mounted Secret) or the PEM text itself. */
  TEMPORAL_TLS_CERT: z.string().optional(),
  TEMPORAL_TLS_KEY: z.string().optional(),
  /** TLS without a client certificate (e.g. a cluster behind a TLS load balancer); on whenever the above are set. */
  TEMPORAL_TLS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Daily retention schedule (cron, UTC) the worker keeps in Temporal; empty leaves the schedule alone. */
  RETENTION_CRON: z.string().default('17 3 * * *'),

  DATABASE_URL: url.default('postgres://ticketvault@127.0.0.1:5432/ticketvault'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),

  TYPESENSE_URL: url.default('http://127.0.0.1:8108'),
  /**
   * The nodes of a Typesense cluster, comma-separated `host:port` (e.g. `ts-0:8108,ts-1:8108,ts-2:8108`),
   * spoken to with TYPESENSE_URL's scheme. When set, the client spreads requests over them and retries
   * a request that fails on one node (the raft leader gone, say) on the next, so a search survives an
   * election; TYPESENSE_URL then only gives the scheme. Empty: TYPESENSE_URL is the only node.
   */
  TYPESENSE_NODES: commaList.refine((list) => list.every((n) => parseHostPort(n) !== null), {
    message: 'must be comma-separated host:port pairs such as 10.0.0.1:8108,10.0.0.2:8108',
  }),
  TYPESENSE_API_KEY: z.string().min(8).default('ticket-vault-dev-key'),
  TYPESENSE_COLLECTION_PREFIX: z
    .string()
    .regex(/^[a-z0-9_]*$/)
    .default(''),

  /** Set for the emulator (http://127.0.0.1:4443); unset means real GCS with Application Default Credentials. */
  STORAGE_EMULATOR_HOST: z.string().optional(),
  GCS_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$/)
    .default('ticket-vault'),
  GCS_PROJECT_ID: z.string().default('ticket-vault-local'),

  BLIP_API_URL: url.default('https://http.msging.net/commands'),
  BLIP_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(25_000),
  /**
   * Comma-separated bot identifiers allowed to use the webhook; empty means any bot with a valid key.
   * Lower-cased like every tenant id (Blip identifiers are case-insensitive: lib/tenant-id.ts).
   */
  ALLOWED_BOTS: commaList.transform((bots) => bots.map((b) => b.toLowerCase())),

  /** 32 bytes, base64 or hex: AES-256-GCM key for the bot keys stored in Postgres. */
  /** Ed25519 private key that signs seals (docs/evidence.md): PEM or base64 PKCS#8. Required in production. */
  SEAL_SIGNING_KEY: z
    .string()
    .default('')
    .superRefine((s, ctx) => {
      if (s !== '') validKey(() => parseSigningKey(s), ctx);
    }),
  /** Public keys of retired seal keys (PEM blocks or comma-separated base64 SPKI): old seals still verify. */
  SEAL_RETIRED_PUBLIC_KEYS: z
    .string()
    .default('')
    .superRefine((s, ctx) => {
      validKey(() => parsePublicKeys(s), ctx);
    }),
  ARCHIVE_ENCRYPTION_KEY: secretKey,
  /** Earlier ARCHIVE_ENCRYPTION_KEYs (comma-separated) still opened during a rotation; never used to seal. */
  ARCHIVE_ENCRYPTION_KEY_PREVIOUS: secretKeyList,
  /** 32 bytes, base64 or hex: HMAC key of the read API's session tokens (separate from the above). */
  SESSION_SECRET: secretKey,
  /** Earlier SESSION_SECRETs (comma-separated): their sessions stay valid until they expire. */
  SESSION_SECRET_PREVIOUS: secretKeyList,
  /**
   * Comma-separated origins (`http://127.0.0.1:8090`) trusted as Blip media hosts even though they
   * resolve to a loopback or private address (the simulator, an internal CDN). Every other media
   * host must be a public address: the SSRF guard refuses the rest.
   */
  BLIP_MEDIA_ALLOWED_ORIGINS: commaList.refine(
    (list) => list.every((o) => URL.canParse(o) && /^https?:$/.test(new URL(o).protocol)),
    {
      message: 'must be comma-separated http(s) origins such as http://127.0.0.1:8090',
    },
  ),
  MEDIA_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(100 * 1024 * 1024),
  /**
   * A media link that keeps failing (429/5xx, DNS, a broken or too slow body) is recorded
   * unavailable after this many attempts, or this long after its first failure, whichever comes
   * first, so the ticket is still sealed. Counted per item in Postgres, across worker restarts.
   */
  // Ten attempts under the mirror activity's back-off (2 s doubling, at most 3 min) span about ten
  // minutes, so a short CDN outage does not lose a customer's media for good; five spanned 30 s.
  MEDIA_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(10),
  /**
   * Text inside media (issue 18, lib/media-text/): the Tesseract languages read when the tenant has
   * none of its own (tenants.ocr_languages), and what one file may cost. The extraction runs on its
   * own task queue (`<TEMPORAL_TASK_QUEUE>-media-text`) with MEDIA_TEXT_CONCURRENCY files at once per
   * worker, one core each, so archiving keeps its CPU.
   */
  MEDIA_TEXT_LANGUAGES: ocrLanguages.default('por+spa+eng'),
  MEDIA_TEXT_CONCURRENCY: z.coerce.number().int().min(0).max(64).default(1),
  MEDIA_TEXT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 ** 3)
    .default(50 * 1024 ** 2),
  MEDIA_TEXT_MAX_PIXELS: z.coerce.number().int().min(10_000).max(400_000_000).default(50_000_000),
  MEDIA_TEXT_MAX_PAGES: z.coerce.number().int().min(1).max(2000).default(50),
  MEDIA_TEXT_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(120),
  MEDIA_TEXT_MEMORY_MB: z.coerce.number().int().min(64).max(65536).default(1536),
  MEDIA_MAX_WAIT_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(30 * 60),
  /**
   * One media download must finish within MEDIA_DOWNLOAD_DEADLINE_MS plus the bytes received at
   * MEDIA_MIN_BYTES_PER_SECOND: a body that trickles (never idle long enough for BLIP_TIMEOUT_MS)
   * is cut off, while any stream at least that fast keeps extending its deadline.
   */
  MEDIA_DOWNLOAD_DEADLINE_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  MEDIA_MIN_BYTES_PER_SECOND: z.coerce
    .number()
    .int()
    .min(1)
    .default(128 * 1024),

  /**
   * The worker's Prometheus endpoint (GET /metrics, GET /healthz); 0 (default) disables it, so
   * several workers can share a host. `npm start` and the k8s manifests set 9464. The API serves
   * /metrics itself.
   */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /**
   * Workflows the worker keeps cached (sticky) between their tasks. Each costs memory (its V8
   * context state): the SDK's default, sized from the heap limit, let 1 000 archives in flight
   * take the worker to ~860 MB. A workflow evicted from the cache is replayed from its history on
   * its next task (a few ms for an archive's ~25 events).
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(250),
  /**
   * A workflow bundle built ahead by `npm run build:worker` (production: the image's
   * dist/worker/workflow-bundle.js); unset, the worker bundles workflows/ with webpack at start.
   */
  WORKER_WORKFLOW_BUNDLE: z
    .string()
    .optional()
    .refine((p) => p === undefined || fs.existsSync(p), {
      message: 'no such file (build it with `npm run build:worker`, or unset it to bundle at start)',
    }),
  /** Activities one worker runs at once (downloads, uploads, upserts: mostly waiting on I/O). */
  WORKER_MAX_ACTIVITIES: z.coerce.number().int().min(1).max(1000).default(40),
  /**
   * How far V8 lets the worker's heap grow past what the last full GC found alive before it
   * collects again, in percent (V8's --heap-growing-percent, set at start for every isolate of the
   * process, the workflow thread's too); 0 leaves V8's own factor (up to 4x). Under a burst of
   * archives most of the heap is garbage waiting for that GC, along with the socket and media
   * buffers it holds: V8's own factor took the worker from ~100 MB alive to ~600 MB PSS at 998
   * tickets (docs/performance.md). Not a cap: a large PDF export still gets the heap it needs.
   */
  WORKER_HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(300).default(20),
  /**
   * The young generation of the workflow thread's V8 heap, in MB per semi-space (V8's
   * --max-semi-space-size, set at start so the thread the SDK creates later gets it); 0 leaves
   * V8's 16. Workflow code allocates little that lives: the default 16 kept 32 MB of the thread's
   * ~60 MB heap as nursery under the 998-ticket burst. The main thread keeps V8's size (set it
   * with NODE_OPTIONS=--max-semi-space-size if wanted).
   */
  WORKER_WORKFLOW_SEMI_SPACE_MB: z.coerce.number().int().min(0).max(64).default(4),
  /** Temporal SDK (core) metrics in Prometheus format on this port; 0 (default) disables them. */
  TEMPORAL_SDK_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** Serve the built extension UI from the API (`off` for an API-only process). */
  WEB_UI: z.enum(['on', 'off']).default('on'),

  CHROMIUM_PATH: z.string().default('/usr/bin/chromium'),
  /** The API's address as readers reach it; printed in PDFs next to the verify endpoint. */
  PUBLIC_API_URL: url.default('http://127.0.0.1:3000'),
  /** Images up to this size are embedded in PDFs; larger ones are listed with their hash. */
  PDF_MAX_IMAGE_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(5 * 1024 * 1024),
  /**
   * The PDF signing certificate and key (docs/evidence.md): a PKCS#12 file (.p12/.pfx, RSA key and
   * its X.509 certificate, chain optional) as base64. Required in production and beyond loopback;
   * local development signs with a self-signed certificate generated in memory.
   */
  PDF_SIGNING_P12: z
    .string()
    .default('')
    .refine((s) => s === '' || /^[A-Za-z0-9+/\s]+={0,2}\s*$/.test(s), 'must be the base64 of a PKCS#12 file'),
  PDF_SIGNING_P12_PASSPHRASE: z.string().default(''),
  /** Shown in the signature panel of PDF readers (e.g. "São Paulo, BR"). */
  PDF_SIGNING_LOCATION: z.string().max(200).default(''),
  /** Shown in the signature panel of PDF readers (e.g. a contact e-mail of the archive's owner). */
  PDF_SIGNING_CONTACT: z.string().max(200).default(''),
});

export type Config = z.infer<typeof configSchema>;

/** TRUST_PROXY: trust no proxy, the last `hops` private-address proxies, or these addresses/CIDRs. */
export type TrustProxy = { hops: number } | { proxies: string[] } | null;

function parseTrustProxy(text: string, ctx: z.RefinementCtx): TrustProxy {
  const s = text.trim().toLowerCase();
  if (s === '' || s === 'false' || s === '0') return null;
  if (/^\d{1,2}$/.test(s)) return { hops: Number(s) };
  const list = splitList(s);
  const bad = list.filter((entry) => {
    const [addr = '', prefix, extra] = entry.split('/');
    if (extra !== undefined || isIP(addr) === 0) return true;
    if (prefix === undefined) return false;
    const max = isIP(addr) === 4 ? 32 : 128;
    return !/^\d{1,3}$/.test(prefix) || Number(prefix) > max;
  });
  if (bad.length > 0 || list.length === 0) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `must be a number of proxy hops (e.g. 1) or comma-separated proxy addresses/CIDRs (e.g. 10.0.0.0/8); not ${JSON.stringify(bad.join(',') || text)}${s === 'true' ? ' (trusting every hop would let any client forge its address)' : ''}`,
    });
    return null;
  }
  return { proxies: list };
}

function validKey(parse: () => unknown, ctx: z.RefinementCtx): void {
  try {
    parse();
  } catch (err) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
  }
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function decodeKey(text: string): Buffer | null {
  const hex = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : null;
  if (hex) return hex;
  const b64 = Buffer.from(text, 'base64');
  return b64.length === 32 ? b64 : null;
}

const DEVELOPMENT_KEY_SEED = 'ticket-vault local development only';
const DEVELOPMENT_SESSION_SEED = 'ticket-vault local development sessions only';

/**
 * Keys anyone can read: the local-development fallbacks (their seeds are in this repository) and
 * the placeholders shipped in examples. Never accepted outside local development.
 */
const PUBLIC_KEYS: Buffer[] = [
  createHash('sha256').update(DEVELOPMENT_KEY_SEED).digest(),
  createHash('sha256').update(DEVELOPMENT_SESSION_SEED).digest(),
  Buffer.alloc(32, 0),
];
const isPublicKey = (key: Buffer) => PUBLIC_KEYS.some((k) => k.equals(key));

/** 127.0.0.0/8, ::1 and localhost: only this machine can reach a process bound there. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

/**
 * Local development: not production and bound to loopback only, so nobody else can reach the
 * process. Only then may the secrets fall back to the public development keys (`npm start`, tests).
 */
export function isLocalDevelopment(config: Pick<Config, 'NODE_ENV' | 'API_HOST'>): boolean {
  return config.NODE_ENV !== 'production' && isLoopbackHost(config.API_HOST);
}

export interface Secrets {
  /** AES-256-GCM keys for the bot keys at rest: the first seals, every one opens (rotation). */
  encryptionKeys: Buffer[];
  /** Session HMAC keys: the first signs, every one verifies (rotation). */
  sessionKeys: Buffer[];
  /** True when the public development fallbacks are in use (local development only). */
  development: boolean;
}

const HOW_TO_MAKE = 'make one with `openssl rand -hex 32` and keep it in your secret store';

/**
 * The secrets from config, or a ConfigError naming the variable to set. Outside local development
 * (NODE_ENV=production, or API_HOST not a loopback address) both secrets must be set, must not be
 * a publicly known key, and must differ from each other.
 */
export function secretsOf(config: Config): Secrets {
  const local = isLocalDevelopment(config);
  const why = `the process is not local development (NODE_ENV=${config.NODE_ENV}, API_HOST=${config.API_HOST})`;
  const problems: string[] = [];
  const pick = (name: string, text: string, seed: string): Buffer => {
    const key = text ? decodeKey(text) : null;
    if (key && !isPublicKey(key)) return key;
    if (local) return key ?? createHash('sha256').update(seed).digest();
    problems.push(
      key
        ? `${name} is a publicly known development key and cannot be used when ${why}; ${HOW_TO_MAKE}`
        : `${name} is not set; it is required when ${why}: ${HOW_TO_MAKE}`,
    );
    return Buffer.alloc(32);
  };
  const encryption = pick('ARCHIVE_ENCRYPTION_KEY', config.ARCHIVE_ENCRYPTION_KEY, DEVELOPMENT_KEY_SEED);
  const session = pick('SESSION_SECRET', config.SESSION_SECRET, DEVELOPMENT_SESSION_SEED);
  if (!local && problems.length === 0 && encryption.equals(session)) {
    problems.push(
      'SESSION_SECRET must differ from ARCHIVE_ENCRYPTION_KEY; make another with `openssl rand -hex 32`',
    );
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  const previous = (list: string[]) => list.map((k) => decodeKey(k) as Buffer);
  return {
    encryptionKeys: [encryption, ...previous(config.ARCHIVE_ENCRYPTION_KEY_PREVIOUS)],
    sessionKeys: [session, ...previous(config.SESSION_SECRET_PREVIOUS)],
    development: !config.ARCHIVE_ENCRYPTION_KEY || !config.SESSION_SECRET,
  };
}

/** The current AES-256-GCM key for bot keys at rest (see secretsOf). */
export function encryptionKey(config: Config): { key: Buffer; development: boolean } {
  const secrets = secretsOf(config);
  return { key: secrets.encryptionKeys[0] as Buffer, development: !config.ARCHIVE_ENCRYPTION_KEY };
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * Where the seal signing key comes from (docs/evidence.md). Production, and any process whose API
 * listens beyond loopback, must set SEAL_SIGNING_KEY; local development may use a key generated
 * once and kept in the database (`seal_dev_key`). Called by every process at start.
 */
export function sealKeySource(
  config: Config,
): { kind: 'configured'; signingKey: string; retired: string } | { kind: 'development'; retired: string } {
  const retired = config.SEAL_RETIRED_PUBLIC_KEYS;
  if (config.SEAL_SIGNING_KEY) return { kind: 'configured', signingKey: config.SEAL_SIGNING_KEY, retired };
  if (config.NODE_ENV === 'production')
    throw new ConfigError(
      'SEAL_SIGNING_KEY is required in production (an Ed25519 private key, PEM or base64 PKCS#8)',
    );
  if (!LOOPBACK_HOSTS.has(config.API_HOST))
    throw new ConfigError(
      `SEAL_SIGNING_KEY is required when API_HOST (${config.API_HOST}) is not a loopback address; a generated key is for local development only`,
    );
  return { kind: 'development', retired };
}

/**
 * Where the PDF signing certificate comes from (lib/pdf/signature.ts): PDF_SIGNING_P12, or in
 * local development only a self-signed certificate generated in memory. Called at worker start.
 */
export function pdfSignerSource(
  config: Config,
): { kind: 'configured'; p12: Buffer; passphrase: string } | { kind: 'development' } {
  if (config.PDF_SIGNING_P12)
    return {
      kind: 'configured',
      p12: Buffer.from(config.PDF_SIGNING_P12.replace(/\s+/g, ''), 'base64'),
      passphrase: config.PDF_SIGNING_P12_PASSPHRASE,
    };
  if (!isLocalDevelopment(config))
    throw new ConfigError(
      `PDF_SIGNING_P12 is required when NODE_ENV=${config.NODE_ENV} and API_HOST=${config.API_HOST} (base64 of a PKCS#12 file with the PDF signing certificate and key; a generated self-signed certificate is for local development only)`,
    );
  return { kind: 'development' };
}

/**
 * Parses the environment; throws a ConfigError listing every bad variable. The secrets are
 * checked here too, so a process refuses to start before it connects to anything.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  secretsOf(parsed.data);
  return parsed.data;
}
