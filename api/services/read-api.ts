import type { Client } from '@temporalio/client';
import { createSessionCodec } from '../../lib/auth/session';
import type { SecretBox } from '../../lib/crypto';
import type { Db } from '../../lib/db/pool';
import type { SealKeyProvider } from '../../lib/integrity/key-provider';
import type { Metrics } from '../../lib/metrics';
import type { SearchClient } from '../../lib/search/client';
import type { CollectionNames } from '../../lib/search/schema';
import { createTicketSearch } from '../../lib/search/ticket-search';
import type { ObjectStore } from '../../lib/storage/object-store';
import type { ServerDeps } from '../server';
import { createReadAccess } from './read-access';

/** Wires the read and export routes to Postgres, Typesense, storage and Temporal. */
export interface ReadApiDeps {
  db: Db;
  box: SecretBox;
  masterKey: Buffer;
  search: SearchClient;
  collections: CollectionNames;
  store: ObjectStore;
  sessionTtlSeconds: number;
  secureCookies: boolean;
  signedUrlTtlSeconds: number;
  temporal: Client;
  taskQueue: string;
  metrics?: Metrics;
  searchRateLimitPerMinute?: number;
  sealKeys: SealKeyProvider;
}

export function createReadApiOptions(deps: ReadApiDeps): Required<Pick<ServerDeps, 'read' | 'exports'>> {
  const sessions = createSessionCodec(deps.masterKey);
  const access = createReadAccess({ db: deps.db, box: deps.box, sessions });
  const ticketSearch = createTicketSearch(deps.search, deps.collections);
  const read = {
    session: { access, sessions, ttlSeconds: deps.sessionTtlSeconds, secureCookies: deps.secureCookies },
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
    },
    contacts: { db: deps.db, access },
  };
  const exports = {
    db: deps.db,
    store: deps.store,
    access,
    temporal: deps.temporal,
    taskQueue: deps.taskQueue,
    signedUrlTtlSeconds: deps.signedUrlTtlSeconds,
    sealKeys: deps.sealKeys,
  };
  return { read, exports };
}
