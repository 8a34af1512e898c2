import type { Client } from '@temporalio/client';
import { createSessionCodec } from '../../lib/auth/session';
import { checkKeyWithBlip } from '../../lib/blip/key-check';
import type { SecretBox } from '../../lib/crypto';
import type { Db } from '../../lib/db/pool';
import type { SealKeyProvider } from '../../lib/integrity/key-provider';
import type { Logger } from '../../lib/logger';
import type { Metrics } from '../../lib/metrics';
import type { SearchClient } from '../../lib/search/client';
import type { CollectionNames } from '../../lib/search/schema';
import { createTicketSearch, type TicketSearchObserver } from '../../lib/search/ticket-search';
import type { ObjectStore } from '../../lib/storage/object-store';
import type { ServerDeps } from '../server';
import { createReadAccess } from './read-access';
import type { CookieSecurity } from './session-cookie';
import { tenantConcurrency } from './tenant-concurrency';

/** Wires the read and export routes to Postgres, Typesense, storage and Temporal. */
export interface ReadApiDeps {
  db: Db;
  box: SecretBox;
  /** SESSION_SECRET, then the previous ones still accepted (lib/config.ts secretsOf). */
  sessionKeys: Buffer[];
  search: SearchClient;
  collections: CollectionNames;
  store: ObjectStore;
  sessionTtlSeconds: number;
  /** Idle limit of a session (renewed on use up to sessionTtlSeconds after login). */
  sessionIdleSeconds?: number;
  /** COOKIE_SECURE (api/services/session-cookie.ts). */
  cookieSecurity: CookieSecurity;
  /** Blip's commands URL for tenants without their own, and the wait for its answer. */
  defaultCommandsUrl: string;
  blipTimeoutMs: number;
  /** How long Blip's "this key is valid" is reused at login (ms). */
  loginKeyCacheMs?: number;
  signedUrlTtlSeconds: number;
  temporal: Client;
  taskQueue: string;
  metrics?: Metrics;
  logger?: Logger;
  searchRateLimitPerMinute?: number;
  /** Ticket, media-link, contact, verify and export-state reads per tenant per minute (READ_RATE_LIMIT_PER_MINUTE). */
  readRateLimitPerMinute?: number;
  /** Export creations per tenant per minute (EXPORT_RATE_LIMIT_PER_MINUTE). */
  exportRateLimitPerMinute?: number;
  /** SEARCH_TEXT_CACHE_SECONDS in ms (lib/search/ticket-search.ts); 0 or unset: no cache. */
  searchTextCacheMs?: number;
  /** SEARCH_TEXT_DEFAULT_MONTHS (lib/search/ticket-search.ts textWindowMonths); 0 or unset: no window. */
  searchTextWindowMonths?: number;
  /** Export limits (lib/config.ts EXPORT_MAX_CONCURRENT_PER_TENANT, EXPORT_MAX_MESSAGES). */
  exportLimits?: { maxRunningPerTenant: number; maxMessages: number };
  /** Per-tenant requests in progress (lib/config.ts VERIFY_/TICKET_READ_MAX_CONCURRENT_PER_TENANT). */
  concurrency?: { verifyPerTenant: number; ticketReadsPerTenant: number };
  sealKeys: SealKeyProvider;
}

/** Another tenant's hit reaching a search is counted and logged (by tenant and count, no content). */
function searchObserver(deps: Pick<ReadApiDeps, 'metrics' | 'logger'>): TicketSearchObserver {
  let legacyWarned = false;
  return {
    foreignHitsDropped({ tenantId, collection, count, mode }) {
      deps.metrics?.searchForeignHits.inc({ collection, filter: mode }, count);
      deps.logger?.warn(
        { tenantId, collection, count, filter: mode },
        "search hits of another tenant dropped (the tenant filter let them through; if filter is 'legacy', run: ticket-vault reindex)",
      );
    },
    legacyCollections() {
      if (legacyWarned) return;
      legacyWarned = true;
      deps.logger?.warn(
        "the search collections predate tenant_key; searches use the legacy tenant filter and drop look-alike tenants' hits until: ticket-vault reindex",
      );
    },
  };
}

export function createReadApiOptions(deps: ReadApiDeps): Required<Pick<ServerDeps, 'read' | 'exports'>> {
  const sessions = createSessionCodec(deps.sessionKeys);
  const access = createReadAccess({
    db: deps.db,
    box: deps.box,
    sessions,
    lifetime: {
      ttlSeconds: deps.sessionTtlSeconds,
      idleSeconds: deps.sessionIdleSeconds ?? deps.sessionTtlSeconds,
    },
    cookieSecurity: deps.cookieSecurity,
    checkKeyWithBlip: (commandsUrl, authorization, ticketId) =>
      checkKeyWithBlip({
        commandsUrl: commandsUrl ?? deps.defaultCommandsUrl,
        authorization,
        ticketId,
        timeoutMs: deps.blipTimeoutMs,
      }),
    keyCheckCacheMs: deps.loginKeyCacheMs ?? 60_000,
  });
  const ticketSearch = createTicketSearch(
    deps.search,
    deps.collections,
    { textCacheMs: deps.searchTextCacheMs ?? 0, textWindowMonths: deps.searchTextWindowMonths ?? 0 },
    searchObserver(deps),
  );
  const readRateLimit = { max: deps.readRateLimitPerMinute ?? 1200, timeWindowMs: 60_000 };
  const read = {
    session: { access, db: deps.db },
    tickets: {
      db: deps.db,
      store: deps.store,
      access,
      search: async (tenantId: string, query: Parameters<typeof ticketSearch.search>[1]) => {
        const end = deps.metrics?.searchLatency.startTimer();
        try {
          return await ticketSearch.search(tenantId, query);
        } finally {
          end?.();
        }
      },
      mediaUrlTtlSeconds: deps.signedUrlTtlSeconds,
      searchRateLimit: { max: deps.searchRateLimitPerMinute ?? 600, timeWindowMs: 60_000 },
      readRateLimit,
      readConcurrency: tenantConcurrency(
        deps.db,
        'TICKET_READ_MAX_CONCURRENT_PER_TENANT',
        deps.concurrency?.ticketReadsPerTenant ?? 8,
        'ticket reads',
      ),
    },
    contacts: { db: deps.db, box: deps.box, access, readRateLimit },
  };
  const exports = {
    db: deps.db,
    box: deps.box,
    store: deps.store,
    access,
    temporal: deps.temporal,
    taskQueue: deps.taskQueue,
    signedUrlTtlSeconds: deps.signedUrlTtlSeconds,
    limits: deps.exportLimits ?? { maxRunningPerTenant: 3, maxMessages: 20_000 },
    sealKeys: deps.sealKeys,
    readRateLimit,
    exportRateLimit: { max: deps.exportRateLimitPerMinute ?? 60, timeWindowMs: 60_000 },
    verifyConcurrency: tenantConcurrency(
      deps.db,
      'VERIFY_MAX_CONCURRENT_PER_TENANT',
      deps.concurrency?.verifyPerTenant ?? 2,
      'verifications',
    ),
  };
  return { read, exports };
}
