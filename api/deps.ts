import { Client, Connection } from '@temporalio/client';
import { type Config, secretsOf } from '../lib/config';
import { createSecretBox } from '../lib/crypto';
import { migrate } from '../lib/db/migrate';
import { createPool } from '../lib/db/pool';
import { createSearchClient } from '../lib/search/client';
import { collectionNames } from '../lib/search/schema';
import { createGcsStore, createStorageClient } from '../lib/storage/gcs-store';
import { temporalConnectionOptions } from '../lib/temporal-options';

/** Creates the clients the API needs from config; closed together on shutdown. */
export async function createApiClients(config: Config) {
  // Before connecting to anything: a process without its secrets does not start.
  const secrets = secretsOf(config);
  const db = createPool(config.DATABASE_URL, config.DATABASE_POOL_MAX);
  await migrate(db);
  const [encryption, ...previousEncryption] = secrets.encryptionKeys as [Buffer, ...Buffer[]];
  const box = createSecretBox(encryption, previousEncryption);
  const search = createSearchClient(config.TYPESENSE_URL, config.TYPESENSE_API_KEY);
  const storageOpts = {
    bucket: config.GCS_BUCKET,
    projectId: config.GCS_PROJECT_ID,
    emulatorHost: config.STORAGE_EMULATOR_HOST,
  };
  const store = createGcsStore(createStorageClient(storageOpts), storageOpts);
  // Lazy: the API starts (and /healthz reports Temporal down) even when Temporal is not up yet.
  const temporal = await Connection.connect(temporalConnectionOptions(config)).catch(() => null);
  const healthChecks = {
    temporal: async () => {
      const conn =
        temporal ??
        (await Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: 2000 }));
      await conn.workflowService.getSystemInfo({});
    },
    postgres: () => db.query('select 1'),
    typesense: async () => {
      const h = (await search.health.retrieve()) as { ok: boolean };
      if (!h.ok) throw new Error('typesense reports not ok');
    },
    storage: () => store.ping(),
  };
  const temporalClient = temporal
    ? new Client({ connection: temporal, namespace: config.TEMPORAL_NAMESPACE })
    : null;
  return {
    db,
    box,
    sessionKeys: secrets.sessionKeys,
    collections: collectionNames(config.TYPESENSE_COLLECTION_PREFIX),
    temporalClient,
    search,
    store,
    temporal,
    healthChecks,
    close: async () => {
      await db.end();
      await temporal?.close();
    },
  };
}
