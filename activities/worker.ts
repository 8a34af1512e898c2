import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createArchiveActivities } from './archive';
import { createWorkerDeps } from './deps';
import { createExportActivities } from './export';

/**
 * Worker process entry: wires clients into the activities and runs the task queue until
 * SIGINT/SIGTERM, when the SDK drains in-flight tasks before we close the clients.
 */
async function main() {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'worker');
  const deps = await createWorkerDeps(config, logger);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath: require.resolve('../workflows'),
    activities: { ...createArchiveActivities(deps), ...createExportActivities(deps) },
    maxConcurrentActivityTaskExecutions: 20,
    shutdownGraceTime: '20 seconds',
  });
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, address: config.TEMPORAL_ADDRESS }, 'worker started');
  try {
    await worker.run();
  } finally {
    await connection.close();
    await deps.close();
    logger.info('worker stopped');
  }
}

main().catch((err) => {
  console.error(`worker: ${(err as Error).message}`);
  process.exit(1);
});
