import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { type Config, secretsOf } from '../lib/config';
import { createSecretBox, type SecretBox } from '../lib/crypto';
import { migrate } from '../lib/db/migrate';
import { createPool, type Db } from '../lib/db/pool';
import { createSearchClient, type SearchClient } from '../lib/search/client';
import { ensureCollections } from '../lib/search/migrate';
import { type CollectionNames, collectionNames } from '../lib/search/schema';
import { createGcsStore, createStorageClient } from '../lib/storage/gcs-store';
import type { ObjectStore } from '../lib/storage/object-store';
import { temporalConnectionOptions } from '../lib/temporal-options';

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
  // Before connecting to anything: a process without its secrets does not start.
  const [encryption, ...previousEncryption] = secretsOf(config).encryptionKeys as [Buffer, ...Buffer[]];
  const db = createPool(config.DATABASE_URL, Math.min(config.DATABASE_POOL_MAX, 5));
  try {
    await migrate(db);
  } catch (err) {
    await db.end();
    throw err;
  }
  const storageOpts = {
    bucket: config.GCS_BUCKET,
    projectId: config.GCS_PROJECT_ID,
    emulatorHost: config.STORAGE_EMULATOR_HOST,
  };
  const store = createGcsStore(createStorageClient(storageOpts), storageOpts);
  const search = createSearchClient(config.TYPESENSE_URL, config.TYPESENSE_API_KEY, 120);
  const collections = collectionNames(config.TYPESENSE_COLLECTION_PREFIX);
  let connection: Promise<Connection> | null = null;
  let aliasesChecked = false;
  return {
    config,
    db,
    store,
    search,
    collections,
    box: createSecretBox(encryption, previousEncryption),
    actor: cliActor(),
    async temporal() {
      connection ??= Connection.connect(temporalConnectionOptions(config));
      if (!aliasesChecked) {
        // reindex works on the aliases: make sure an older install has them (the worker does too).
        await ensureCollections(search, collections);
        aliasesChecked = true;
      }
      return new Client({ connection: await connection, namespace: config.TEMPORAL_NAMESPACE });
    },
    async close() {
      if (connection) await (await connection.catch(() => null))?.close();
      await db.end();
    },
  };
}
