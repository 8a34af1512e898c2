import { createSessionCodec } from '../../lib/auth/session';
import type { SecretBox } from '../../lib/crypto';
import type { Db } from '../../lib/db/pool';
import type { SearchClient } from '../../lib/search/client';
import type { CollectionNames } from '../../lib/search/schema';
import { createTicketSearch } from '../../lib/search/ticket-search';
import type { ObjectStore } from '../../lib/storage/object-store';
import type { ServerDeps } from '../server';
import { createReadAccess } from './read-access';

/** Wires the read routes to Postgres, Typesense and storage. */
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
}

export function createReadApiOptions(deps: ReadApiDeps): NonNullable<ServerDeps['read']> {
  const sessions = createSessionCodec(deps.masterKey);
  const access = createReadAccess({ db: deps.db, box: deps.box, sessions });
  const ticketSearch = createTicketSearch(deps.search, deps.collections);
  return {
    session: { access, sessions, ttlSeconds: deps.sessionTtlSeconds, secureCookies: deps.secureCookies },
    tickets: {
      db: deps.db,
      store: deps.store,
      access,
      search: ticketSearch.search,
      mediaUrlTtlSeconds: deps.signedUrlTtlSeconds,
    },
    contacts: { db: deps.db, access },
  };
}
