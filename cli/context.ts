import os from 'node:os';
import type { Client, Connection } from '@temporalio/client';
import {
  connectDatabase,
  connectTemporal,
  createObjectStore,
  createSearch,
  temporalClient,
} from '../lib/clients';
import { type Config, encryptionKey } from '../lib/config';
import { createSecretBox, type SecretBox } from '../lib/crypto';
import type { Db } from '../lib/db/pool';
import type { SearchClient } from '../lib/search/client';
import { ensureCollections } from '../lib/search/migrate';
import type { CollectionNames } from '../lib/search/schema';
import type { ObjectStore } from '../lib/storage/object-store';

/** What the commands use; built from the environment by the CLI, injected by tests. */
export interface CliDeps {
  config: Config;
  db: Db;
  store: ObjectStore;
  search: SearchClient;
  collections: CollectionNames;
  box: SecretBox;
  /** Connected on first use: `tenants` and `verify` work without Temporal. */
  temporal(): Promise<Client>;
  /** Recorded as the actor in the audit log and on tenant changes. */
  actor: string;
  close(): Promise<void>;
}

/** Where a command writes: results to `out` (stdout), progress and errors to `err` (stderr). */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal: progress rewrites one line. */
  tty: boolean;
}

export const processIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  tty: Boolean(process.stderr.isTTY),
};

export function cliActor(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    /* no passwd entry */
  }
  return `cli:${user}@${os.hostname()}`;
}

/** Connects to the same stores as the API and worker (lib/config.ts), migrating the schema first. */
export async function createCliDeps(config: Config): Promise<CliDeps> {
  const db = await connectDatabase(config, Math.min(config.DATABASE_POOL_MAX, 5));
  const store = createObjectStore(config);
  const { search, collections } = createSearch(config, 120);
  let connection: Promise<Connection> | null = null;
  let aliasesChecked = false;
  return {
    config,
    db,
    store,
    search,
    collections,
    box: createSecretBox(encryptionKey(config).key),
    actor: cliActor(),
    async temporal() {
      connection ??= connectTemporal(config);
      if (!aliasesChecked) {
        // reindex works on the aliases: make sure an older install has them (the worker does too).
        await ensureCollections(search, collections);
        aliasesChecked = true;
      }
      return temporalClient(config, await connection);
    },
    async close() {
      if (connection) await (await connection.catch(() => null))?.close();
      await db.end();
    },
  };
}
