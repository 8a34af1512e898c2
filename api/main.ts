import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createApiClients } from './deps';
import { buildServer } from './server';

/** API process entry: read config, build clients, listen, close cleanly on SIGINT/SIGTERM. */
async function main() {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'api');
  const clients = await createApiClients(config);
  const app = await buildServer({ logger, healthChecks: clients.healthChecks });
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await app.close();
    await clients.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  await app.listen({ host: config.API_HOST, port: config.API_PORT });
}

main().catch((err) => {
  console.error(`api: ${(err as Error).message}`);
  process.exit(1);
});
