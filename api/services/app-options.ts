import type { Client } from '@temporalio/client';
import type { Config } from '../../lib/config';
import type { SecretBox } from '../../lib/crypto';
import type { Db } from '../../lib/db/pool';
import { createSealKeyProvider } from '../../lib/integrity/key-provider';
import type { Logger } from '../../lib/logger';
import type { Metrics } from '../../lib/metrics';
import { publishedPdfCertificates } from '../../lib/pdf/signer-config';
import type { SearchClient } from '../../lib/search/client';
import type { CollectionNames } from '../../lib/search/schema';
import type { ObjectStore } from '../../lib/storage/object-store';
import type { ServerDeps } from '../server';
import { createReadApiOptions } from './read-api';
import { createWebhookOptions } from './webhook';

/** The routes' options from config and clients: one wiring for the API process and the tests. */
export interface AppClients {
  db: Db;
  box: SecretBox;
  /** SESSION_SECRET, then the previous ones still accepted (lib/config.ts secretsOf). */
  sessionKeys: Buffer[];
  search: SearchClient;
  collections: CollectionNames;
  store: ObjectStore;
  temporal: Client;
  metrics?: Metrics;
  logger?: Logger;
}

export function createAppOptions(
  config: Config,
  c: AppClients,
): Required<Pick<ServerDeps, 'webhook' | 'read' | 'exports' | 'sealKeys'>> {
  // Refuses to start in production without SEAL_SIGNING_KEY (lib/config.ts sealKeySource).
  const sealKeys = createSealKeyProvider(config, c.db);
  const webhook = createWebhookOptions({
    metrics: c.metrics,
    db: c.db,
    box: c.box,
    temporal: c.temporal,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    defaultCommandsUrl: config.BLIP_API_URL,
    allowedBots: config.ALLOWED_BOTS,
    blipTimeoutMs: config.BLIP_TIMEOUT_MS,
    bodyLimit: config.WEBHOOK_BODY_LIMIT,
    rateLimit: { max: config.WEBHOOK_RATE_LIMIT_PER_MINUTE, timeWindowMs: 60_000 },
    keyCacheTtlMs: config.WEBHOOK_KEY_CACHE_SECONDS * 1000,
  });
  const { read, exports } = createReadApiOptions({
    metrics: c.metrics,
    logger: c.logger,
    db: c.db,
    box: c.box,
    sessionKeys: c.sessionKeys,
    search: c.search,
    collections: c.collections,
    store: c.store,
    sessionTtlSeconds: config.SESSION_TTL_SECONDS,
    sessionIdleSeconds: config.SESSION_IDLE_SECONDS,
    cookieSecurity: config.COOKIE_SECURE,
    defaultCommandsUrl: config.BLIP_API_URL,
    blipTimeoutMs: config.BLIP_TIMEOUT_MS,
    loginKeyCacheMs: config.LOGIN_KEY_CACHE_SECONDS * 1000,
    searchRateLimitPerMinute: config.SEARCH_RATE_LIMIT_PER_MINUTE,
    readRateLimitPerMinute: config.READ_RATE_LIMIT_PER_MINUTE,
    exportRateLimitPerMinute: config.EXPORT_RATE_LIMIT_PER_MINUTE,
    searchTextCacheMs: config.SEARCH_TEXT_CACHE_SECONDS * 1000,
    searchTextWindowMonths: config.SEARCH_TEXT_DEFAULT_MONTHS,
    exportLimits: {
      maxRunningPerTenant: config.EXPORT_MAX_CONCURRENT_PER_TENANT,
      maxMessages: config.EXPORT_MAX_MESSAGES,
    },
    concurrency: {
      verifyPerTenant: config.VERIFY_MAX_CONCURRENT_PER_TENANT,
      ticketReadsPerTenant: config.TICKET_READ_MAX_CONCURRENT_PER_TENANT,
    },
    signedUrlTtlSeconds: config.SIGNED_URL_TTL_SECONDS,
    temporal: c.temporal,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    sealKeys,
  });
  return {
    webhook,
    read,
    exports,
    sealKeys: { keys: sealKeys, pdfCertificates: publishedPdfCertificates(config) },
  };
}
