import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { createArchiveActivities } from '../../activities/archive';
import { createWorkerDeps } from '../../activities/deps';
import { buildServer } from '../../api/server';
import { createWebhookOptions } from '../../api/services/webhook';
import { type Config, encryptionKey, loadConfig } from '../../lib/config';
import { createSecretBox } from '../../lib/crypto';
import type { Db } from '../../lib/db/pool';
import { createLogger } from '../../lib/logger';
import type { SearchClient } from '../../lib/search/client';
import type { CollectionNames } from '../../lib/search/schema';
import type { ObjectStore } from '../../lib/storage/object-store';
import { type BlipSimulator, type BlipSimulatorOptions, createBlipSimulator } from '../blip-sim';
import { createTestDatabase, stackEnv, uniqueSuffix } from './stack-env';

/**
 * The whole archive path for one test file, on the real stack: a Blip simulator, a fresh
 * database, its own bucket, Typesense collections and task queue, an in-process worker running
 * the real workflow and activities, and the API (driven with `inject`).
 */
export interface ArchiveEnv {
  sim: BlipSimulator;
  config: Config;
  db: Db;
  store: ObjectStore;
  search: SearchClient;
  collections: CollectionNames;
  temporal: Client;
  app: FastifyInstance;
  /** POST /v1/tickethistory the way Blip's Builder action does. */
  webhook(ticket: unknown, auth: unknown): Promise<{ statusCode: number; body: Record<string, unknown> }>;
  /** Waits for an archive workflow and returns its result (or throws its failure). */
  result(
    workflowId: string,
  ): Promise<{ messageCount: number; mediaStored: number; mediaUnavailable: number; digest: string }>;
  /** Starts a second worker process-equivalent (e.g. after killing one). */
  close(): Promise<void>;
}

export interface ArchiveEnvOptions {
  sim?: BlipSimulatorOptions;
  env?: Record<string, string>;
}

export async function startArchiveEnv(options: ArchiveEnvOptions = {}): Promise<ArchiveEnv> {
  const suffix = uniqueSuffix();
  const database = await createTestDatabase();
  const sim = createBlipSimulator(options.sim);
  const { commandsUrl } = await sim.listen(0);
  const config = loadConfig({
    ...stackEnv(),
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: database.url,
    DATABASE_POOL_MAX: '5',
    GCS_BUCKET: `tv-test-${suffix.replace(/_/g, '-')}`,
    TYPESENSE_COLLECTION_PREFIX: `t${suffix}_`,
    TEMPORAL_TASK_QUEUE: `archive-test-${suffix}`,
    BLIP_API_URL: commandsUrl,
    BLIP_TIMEOUT_MS: '5000',
    ...options.env,
  });
  const logger = createLogger('silent', 'test');
  const deps = await createWorkerDeps(config, logger);
  const nativeConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath: require.resolve('../../workflows'),
    activities: createArchiveActivities(deps),
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const app = await buildServer({
    logger,
    healthChecks: {},
    webhook: createWebhookOptions({
      db: deps.db,
      box: createSecretBox(encryptionKey(config).key),
      temporal,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      defaultCommandsUrl: config.BLIP_API_URL,
      allowedBots: config.ALLOWED_BOTS,
      blipTimeoutMs: config.BLIP_TIMEOUT_MS,
      bodyLimit: config.WEBHOOK_BODY_LIMIT,
      rateLimit: { max: config.WEBHOOK_RATE_LIMIT_PER_MINUTE, timeWindowMs: 60_000 },
    }),
  });

  return {
    sim,
    config,
    db: deps.db,
    store: deps.store,
    search: deps.search,
    collections: deps.collections,
    temporal,
    app,
    async webhook(ticket, auth) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/tickethistory',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ ticket, auth }),
      });
      return { statusCode: res.statusCode, body: res.json() };
    },
    result(workflowId) {
      return temporal.workflow.getHandle(workflowId).result();
    },
    async close() {
      await app.close();
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
      await Promise.all(
        Object.values(deps.collections).map((name) =>
          deps.search
            .collections(name)
            .delete()
            .catch(() => undefined),
        ),
      );
      await deps.close();
      await sim.close();
      await database.drop();
    },
  };
}
