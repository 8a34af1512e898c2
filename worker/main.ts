import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createAllActivities } from '../activities/index';
import { connectTemporal, temporalClient } from '../lib/clients';
import { type Config, loadConfig } from '../lib/config';
import { listTenantIds } from '../lib/db/tenants';
import { createLogger } from '../lib/logger';
import { removeStalePartials } from '../lib/media/partials';
import { createMetrics } from '../lib/metrics';
import { temporalConnectionOptions } from '../lib/temporal/connection';
import { ensureRetentionSchedule } from '../lib/temporal/retention-schedule';
import { createWorkerDeps } from './deps';
import { limitHeapGrowth } from './heap-growth';
import { createMediaTextWorker } from './media-text-worker';
import { serveMetrics } from './metrics-server';
import { bundleWorkflowsInThread } from './workflow-bundle';

/**
 * Worker process entry: wires clients into the activities and runs the task queue until
 * SIGINT/SIGTERM, when the SDK drains in-flight tasks before we close the clients.
 */
async function main() {
  const config = loadConfig();
  // Before the clients and the workflow thread allocate: garbage from a burst is collected early.
  const heapFlags = limitHeapGrowth(config.WORKER_HEAP_GROWING_PERCENT, config.WORKER_WORKFLOW_SEMI_SPACE_MB);
  const logger = createLogger(config.LOG_LEVEL, 'worker');
  if (config.TEMPORAL_SDK_METRICS_PORT > 0) {
    // Must precede the first connection: the SDK core reads its telemetry options once.
    Runtime.install({
      telemetryOptions: {
        metrics: { prometheus: { bindAddress: `${config.API_HOST}:${config.TEMPORAL_SDK_METRICS_PORT}` } },
      },
    });
  }
  const metrics = createMetrics('worker');
  const metricsServer =
    config.WORKER_METRICS_PORT > 0
      ? await serveMetrics(metrics, config.API_HOST, config.WORKER_METRICS_PORT)
      : null;
  const deps = { ...(await createWorkerDeps(config, logger)), metrics };
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  // Production loads the bundle `npm run build:worker` made; a source checkout bundles at start.
  const workflowBundle = config.WORKER_WORKFLOW_BUNDLE
    ? { codePath: config.WORKER_WORKFLOW_BUNDLE }
    : await bundleWorkflowsInThread(require.resolve('../workflows'));
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundle,
    activities: createAllActivities(deps),
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_ACTIVITIES,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    shutdownGraceTime: '20 seconds',
  });
  // The text inside media (issue 18) on its own queue and concurrency; 0 = not on this worker.
  const mediaTextWorker =
    config.MEDIA_TEXT_CONCURRENCY > 0
      ? await createMediaTextWorker({
          connection,
          namespace: config.TEMPORAL_NAMESPACE,
          archiveQueue: config.TEMPORAL_TASK_QUEUE,
          concurrency: config.MEDIA_TEXT_CONCURRENCY,
          deps,
          workflows: { workflowBundle },
        })
      : null;
  logger.info(
    {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      address: config.TEMPORAL_ADDRESS,
      mediaTextConcurrency: mediaTextWorker ? config.MEDIA_TEXT_CONCURRENCY : 0,
      heapFlags,
    },
    'worker started',
  );
  // Partial media uploads of killed workers: swept now and hourly (the lifecycle rule, when the
  // bucket has one, does the same a day later).
  const sweepPartials = () =>
    listTenantIds(deps.db)
      .then((tenants) => removeStalePartials(deps.store, tenants))
      .then((removed) => removed > 0 && logger.info({ removed }, 'removed stale partial media uploads'))
      .catch((err) => logger.warn({ err: (err as Error).message }, 'could not sweep partial media uploads'));
  void sweepPartials();
  const sweepTimer = setInterval(sweepPartials, 3600_000);
  sweepTimer.unref();
  if (config.RETENTION_CRON.trim()) {
    // Keeps the daily retention schedule in Temporal as configured; a failure here only delays retention.
    await keepRetentionSchedule(config).catch((err) =>
      logger.warn({ err: (err as Error).message }, 'could not create or update the retention schedule'),
    );
  }
  try {
    await Promise.all([worker.run(), mediaTextWorker?.run()]);
  } finally {
    clearInterval(sweepTimer);
    await connection.close();
    await deps.close();
    metricsServer?.close();
    logger.info('worker stopped');
  }
}

async function keepRetentionSchedule(config: Config): Promise<void> {
  const connection = await connectTemporal(config, 5000);
  try {
    const client = temporalClient(config, connection);
    await ensureRetentionSchedule(client, {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      cron: config.RETENTION_CRON,
    });
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  console.error(`worker: ${(err as Error).message}`);
  process.exit(1);
});
