import {
  connectDatabase,
  connectTemporal,
  createObjectStore,
  createSearch,
  temporalClient,
} from '../lib/clients';
import { type Config, encryptionKey } from '../lib/config';
import { createSecretBox } from '../lib/crypto';

/** Creates the clients the API needs from config; closed together on shutdown. */
export async function createApiClients(config: Config) {
  const db = await connectDatabase(config);
  const masterKey = encryptionKey(config).key;
  const box = createSecretBox(masterKey);
  const { search, collections } = createSearch(config);
  const store = createObjectStore(config);
  // Lazy: the API starts (and /healthz reports Temporal down) even when Temporal is not up yet.
  const temporal = await connectTemporal(config).catch(() => null);
  const healthChecks = {
    temporal: async () => {
      const conn = temporal ?? (await connectTemporal(config, 2000));
      await conn.workflowService.getSystemInfo({});
    },
    postgres: () => db.query('select 1'),
    typesense: async () => {
      const h = (await search.health.retrieve()) as { ok: boolean };
      if (!h.ok) throw new Error('typesense reports not ok');
    },
    storage: () => store.ping(),
  };
  const client = temporal ? temporalClient(config, temporal) : null;
  return {
    db,
    box,
    masterKey,
    collections,
    temporalClient: client,
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
