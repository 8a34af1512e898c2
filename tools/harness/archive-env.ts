import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { type AllActivityDeps, createAllActivities } from '../../activities';
import { webSurfaceOf } from '../../api/plugins/origin-check';
import { buildServer } from '../../api/server';
import { createAppOptions } from '../../api/services/app-options';
import { type Config, loadConfig, secretsOf } from '../../lib/config';
import { createSecretBox, type SecretBox } from '../../lib/crypto';
import type { Db } from '../../lib/db/pool';
import { createLogger, type Logger } from '../../lib/logger';
import { createMetrics } from '../../lib/metrics';
import type { SearchClient } from '../../lib/search/client';
import { dropCollections } from '../../lib/search/migrate';
import type { CollectionNames } from '../../lib/search/schema';
import type { ObjectStore } from '../../lib/storage/object-store';
import { type BlipSimulator, type BlipSimulatorOptions, createBlipSimulator } from '../../tools/blip-sim';
import { createWorkerDeps } from '../../worker/deps';
import { createMediaTextWorker } from '../../worker/media-text-worker';
import { createTestDatabase, stackEnv, uniqueSuffix } from './stack-env';
import { archiveWorkflows } from './workflow-bundle';

/**
 * The whole archive path for one test file, on the real stack: a Blip simulator, a fresh
 * database, its own bucket, Typesense collections and task queue, an in-process worker running
 * the real workflow and activities, and the API (driven with `inject`).
 */
export interface ArchiveEnv {
  sim: BlipSimulator;
  config: Config;
  db: Db;
  /** The same keys the API, worker and CLI use (erasure hashes, sealed bot keys). */
  box: SecretBox;
  store: ObjectStore;
  search: SearchClient;
  collections: CollectionNames;
  temporal: Client;
  app: FastifyInstance;
  /**
   * The environment this env's config was loaded from: give it to a worker run as a separate
   * process (`{ ...process.env, ...env.workerEnv }`) so it serves the same queue, database, bucket.
   */
  workerEnv: Record<string, string>;
  /** POST /v1/tickethistory the way Blip's Builder action does. */
  webhook(ticket: unknown, auth: unknown): Promise<{ statusCode: number; body: Record<string, unknown> }>;
  /** Waits for an archive workflow and returns its result (or throws its failure). */
  result(
    workflowId: string,
  ): Promise<{ messageCount: number; mediaStored: number; mediaUnavailable: number; digest: string }>;
  /** Stops the in-process worker (if any) and the API, and drops this env's database, collections. */
  close(): Promise<void>;
}

export interface ArchiveEnvOptions {
  sim?: BlipSimulatorOptions;
  env?: Record<string, string>;
  /**
   * Run the in-process worker (default true). With false, nothing serves the task queue until the
   * test starts a worker itself, e.g. `worker/main.ts` as a child process with `workerEnv`.
   */
  worker?: boolean;
  /**
   * Also serve the media-text queue in-process (the text inside media, issue 18; default false:
   * OCR costs CPU, and an archive never waits for it, so other tests need not run it).
   */
  mediaText?: boolean;
  /** Adjusts what the in-process worker's activities get, e.g. to add a test hook. */
  activityDeps?: (deps: AllActivityDeps) => AllActivityDeps;
  /** The API's and in-process worker's logger (default: silent), e.g. to read the request log. */
  logger?: Logger;
}

export async function startArchiveEnv(options: ArchiveEnvOptions = {}): Promise<ArchiveEnv> {
  const suffix = uniqueSuffix();
  const database = await createTestDatabase();
  const sim = createBlipSimulator(options.sim);
  const { commandsUrl, mediaUrl } = await sim.listen(0);
  const workerEnv: Record<string, string> = {
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
    // The fixtures closed in March 2025 and the free-text window counts back from today: tests
    // search every date unless they test the window itself (they set it, e.g. text-search.test.ts).
    SEARCH_TEXT_DEFAULT_MONTHS: '0',
    ...options.env,
    // The simulator serves media from 127.0.0.1, which the SSRF guard refuses unless allowed.
    BLIP_MEDIA_ALLOWED_ORIGINS: [options.env?.BLIP_MEDIA_ALLOWED_ORIGINS, new URL(mediaUrl).origin]
      .filter(Boolean)
      .join(','),
  };
  const config = loadConfig(workerEnv);
  const logger = options.logger ?? createLogger('silent', 'test');
  // One registry for the in-process API and worker, so a test reads every metric at /metrics.
  const metrics = createMetrics('api');
  const deps = { ...(await createWorkerDeps(config, logger)), metrics };
  let inProcess: { workers: Worker[]; running: Promise<unknown>; connection: NativeConnection } | null = null;
  if (options.worker ?? true) {
    const nativeConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      ...archiveWorkflows(),
      activities: createAllActivities(options.activityDeps ? options.activityDeps(deps) : deps),
    });
    const workers = [worker];
    if (options.mediaText)
      workers.push(
        await createMediaTextWorker({
          connection: nativeConnection,
          namespace: config.TEMPORAL_NAMESPACE,
          archiveQueue: config.TEMPORAL_TASK_QUEUE,
          concurrency: config.MEDIA_TEXT_CONCURRENCY,
          deps,
          workflows: archiveWorkflows(),
        }),
      );
    inProcess = { workers, running: Promise.all(workers.map((w) => w.run())), connection: nativeConnection };
  }
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const secrets = secretsOf(config);
  const [encryption, ...previousEncryption] = secrets.encryptionKeys as [Buffer, ...Buffer[]];
  const box = createSecretBox(encryption, previousEncryption);
  const app = await buildServer({
    metrics,
    logger,
    healthChecks: {},
    webSurface: webSurfaceOf(config),
    ...createAppOptions(config, {
      db: deps.db,
      box,
      sessionKeys: secrets.sessionKeys,
      search: deps.search,
      collections: deps.collections,
      store: deps.store,
      temporal,
      metrics,
    }),
  });

  return {
    sim,
    config,
    db: deps.db,
    box,
    store: deps.store,
    search: deps.search,
    collections: deps.collections,
    temporal,
    app,
    workerEnv,
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
      if (inProcess) {
        for (const w of inProcess.workers) w.shutdown();
        await inProcess.running;
        await inProcess.connection.close();
      }
      await connection.close();
      // The names are aliases: drop them and the versioned collections they point at.
      await dropCollections(deps.search, deps.collections).catch(() => undefined);
      await deps.close();
      await sim.close();
      await database.drop();
    },
  };
}
