import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * Every setting of the product, read once from the environment and validated. `.env.example`
 * documents each one; a bad value stops the process with a message naming the variable.
 */

const port = z.coerce.number().int().min(1).max(65535);
const url = z.string().url();

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

  /** Ticket searches per tenant per minute before 429. */
  SEARCH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
  /**
   * Who may frame the UI (CSP frame-ancestors): the Blip portal by default. Space-separated CSP
   * sources, e.g. "'self' https://*.blip.ai".
   */
  UI_FRAME_ANCESTORS: z
    .string()
    .regex(/^[A-Za-z0-9'*:/. _-]+$/, 'CSP sources only (letters, digits, quotes, *, :, /, ., -)')
    .default("'self' https://*.blip.ai"),
  /** Read API sessions (cookie from POST /v1/session). */
  SESSION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(8 * 3600),
  /** Secure + SameSite=None session cookies, needed inside the Blip portal iframe over https. */
  COOKIE_SECURE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
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
  /** Comma-separated bot identifiers allowed to use the webhook; empty means any bot with a valid key. */
  ALLOWED_BOTS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    ),

  /** 32 bytes, base64 or hex: AES-256-GCM key for the bot keys stored in Postgres. */
  ARCHIVE_ENCRYPTION_KEY: z
    .string()
    .default('')
    .refine(
      (s) => s === '' || decodeKey(s) !== null,
      'must be 32 bytes written as 64 hex or 44 base64 chars',
    ),
  /**
   * Comma-separated origins (`http://127.0.0.1:8090`) trusted as Blip media hosts even though they
   * resolve to a loopback or private address (the simulator, an internal CDN). Every other media
   * host must be a public address: the SSRF guard refuses the rest.
   */
  BLIP_MEDIA_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .refine((list) => list.every((o) => URL.canParse(o) && /^https?:$/.test(new URL(o).protocol)), {
      message: 'must be comma-separated http(s) origins such as http://127.0.0.1:8090',
    }),
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
  MEDIA_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(5),
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
});

export type Config = z.infer<typeof configSchema>;

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

/**
 * The AES-256-GCM key for bot keys at rest. Production must set ARCHIVE_ENCRYPTION_KEY; local
 * development and tests fall back to a fixed, publicly known key so `npm start` needs no setup.
 */
export function encryptionKey(config: Config): { key: Buffer; development: boolean } {
  const key = config.ARCHIVE_ENCRYPTION_KEY ? decodeKey(config.ARCHIVE_ENCRYPTION_KEY) : null;
  if (key) return { key, development: false };
  if (config.NODE_ENV === 'production')
    throw new ConfigError('ARCHIVE_ENCRYPTION_KEY is required in production');
  return { key: createHash('sha256').update(DEVELOPMENT_KEY_SEED).digest(), development: true };
}

/** Parses the environment; throws a ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}
