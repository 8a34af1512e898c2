import { Client, Connection } from '@temporalio/client';
import { type Config, secretsOf } from './config';
import { createSecretBox } from './crypto';
import { sealLegacyExportTargets } from './db/export-targets';
import { migrate } from './db/migrate';
import { createPool, type Db } from './db/pool';
import { createSearchClient, type SearchClient } from './search/client';
import { type CollectionNames, collectionNames } from './search/schema';
import { createGcsStore, createStorageClient } from './storage/gcs-store';
import type { ObjectStore } from './storage/object-store';
import { temporalConnectionOptions } from './temporal/connection';

/**
 * The one place that turns config into clients, for the API, the worker and the CLI alike, so the
 * three processes cannot drift in how they reach Postgres, Typesense, the object store or Temporal.
 */

/** A pool with the schema migrated (every process runs pending migrations before it serves). */
export async function connectDatabase(config: Config, poolMax = config.DATABASE_POOL_MAX): Promise<Db> {
  const db = createPool(config.DATABASE_URL, poolMax);
  try {
    await migrate(db);
    // Migration 015's keyed half: contact exports written before it get their identity sealed.
    const [key, ...previous] = secretsOf(config).encryptionKeys as [Buffer, ...Buffer[]];
    await sealLegacyExportTargets(db, createSecretBox(key, previous));
  } catch (err) {
    await db.end();
    throw err;
  }
  return db;
}

export function createObjectStore(config: Config): ObjectStore {
  const options = {
    bucket: config.GCS_BUCKET,
    projectId: config.GCS_PROJECT_ID,
    emulatorHost: config.STORAGE_EMULATOR_HOST,
  };
  return createGcsStore(createStorageClient(options), options);
}

/** Typesense with this installation's collection names; imports take a longer timeout (seconds). */
export function createSearch(
  config: Config,
  timeoutSeconds?: number,
): { search: SearchClient; collections: CollectionNames } {
  return {
    search: createSearchClient(
      config.TYPESENSE_URL,
      config.TYPESENSE_API_KEY,
      timeoutSeconds,
      config.TYPESENSE_NODES,
    ),
    collections: collectionNames(config.TYPESENSE_COLLECTION_PREFIX),
  };
}

export function connectTemporal(config: Config, connectTimeoutMs?: number): Promise<Connection> {
  return Connection.connect({
    ...temporalConnectionOptions(config),
    ...(connectTimeoutMs ? { connectTimeout: connectTimeoutMs } : {}),
  });
}

export function temporalClient(config: Config, connection: Connection): Client {
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}
