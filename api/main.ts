import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createMetrics } from '../lib/metrics';
import { createApiClients } from './deps';
import { webSurfaceOf } from './plugins/origin-check';
import { buildServer } from './server';
import { createAppOptions } from './services/app-options';

/** API process entry: read config, build clients, listen, close cleanly on SIGINT/SIGTERM. */
async function main() {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'api');
  const clients = await createApiClients(config);
  if (!clients.temporalClient) throw new Error(`cannot reach Temporal at ${config.TEMPORAL_ADDRESS}`);
  const metrics = createMetrics('api');
  const routes = createAppOptions(config, {
    ...clients,
    temporal: clients.temporalClient,
    metrics,
    logger,
  });
  // The UI is served unless WEB_UI=off (and only once built: npm run build:web).
  const webUi = config.WEB_UI === 'off' ? undefined : {};
  const app = await buildServer({
    metrics,
    logger,
    healthChecks: clients.healthChecks,
    ...routes,
    webUi,
    webSurface: webSurfaceOf(config),
  });
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
