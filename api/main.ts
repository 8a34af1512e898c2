import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createMetrics } from '../lib/metrics';
import { createApiClients } from './deps';
import { buildServer } from './server';
import { createReadApiOptions } from './services/read-api';
import { createWebhookOptions } from './services/webhook';

/** API process entry: read config, build clients, listen, close cleanly on SIGINT/SIGTERM. */
async function main() {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'api');
  const clients = await createApiClients(config);
  if (!clients.temporalClient) throw new Error(`cannot reach Temporal at ${config.TEMPORAL_ADDRESS}`);
  const metrics = createMetrics('api');
  const webhook = createWebhookOptions({
    metrics,
    db: clients.db,
    box: clients.box,
    temporal: clients.temporalClient,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    defaultCommandsUrl: config.BLIP_API_URL,
    allowedBots: config.ALLOWED_BOTS,
    blipTimeoutMs: config.BLIP_TIMEOUT_MS,
    bodyLimit: config.WEBHOOK_BODY_LIMIT,
    rateLimit: { max: config.WEBHOOK_RATE_LIMIT_PER_MINUTE, timeWindowMs: 60_000 },
  });
  const { read, exports } = createReadApiOptions({
    metrics,
    db: clients.db,
    box: clients.box,
    masterKey: clients.masterKey,
    search: clients.search,
    collections: clients.collections,
    store: clients.store,
    sessionTtlSeconds: config.SESSION_TTL_SECONDS,
    secureCookies: config.COOKIE_SECURE,
    searchRateLimitPerMinute: config.SEARCH_RATE_LIMIT_PER_MINUTE,
    signedUrlTtlSeconds: config.SIGNED_URL_TTL_SECONDS,
    temporal: clients.temporalClient,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
  });
  // The UI is served unless WEB_UI=off (and only once built: npm run build:web).
  const webUi = config.WEB_UI === 'off' ? undefined : {};
  const app = await buildServer({
    metrics,
    logger,
    healthChecks: clients.healthChecks,
    webhook,
    read,
    exports,
    webUi,
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
