import type { Browser } from 'puppeteer-core';
import { Agent } from 'undici';
import type { ArchiveDeps } from '../activities/archive';
import type { ExportDeps } from '../activities/export';
import type { MediaTextDeps } from '../activities/media-text';
import { createBlipClient } from '../lib/blip';
import { connectDatabase, createObjectStore, createSearch } from '../lib/clients';
import type { Config } from '../lib/config';
import { secretsOf } from '../lib/config';
import { createSecretBox, type SecretBox } from '../lib/crypto';
import { getTenant, TenantNotFoundError, tenantAuthorization } from '../lib/db/tenants';
import { createSealKeyProvider } from '../lib/integrity/key-provider';
import type { Logger } from '../lib/logger';
import { limitsFromConfig } from '../lib/media-text/limits';
import { launchChromium } from '../lib/pdf/chromium';
import { createPdfSigner } from '../lib/pdf/signer-config';
import { ensureCollections } from '../lib/search/migrate';

/**
 * Builds the worker's clients from config and brings the stores to the shape the activities
 * expect (schema migrated, bucket present, collections created) before any task is taken.
 */
export async function createWorkerDeps(
  config: Config,
  logger: Logger,
): Promise<ArchiveDeps & ExportDeps & MediaTextDeps & { box: SecretBox; close: () => Promise<void> }> {
  // Before connecting to anything: a process without its secrets does not start.
  const secrets = secretsOf(config);
  const pdfSigner = createPdfSigner(config);
  if (pdfSigner.development)
    logger.warn(
      'PDF_SIGNING_P12 is not set: exported PDFs are signed with a generated self-signed certificate',
    );
  const db = await connectDatabase(config);
  const store = createObjectStore(config);
  await store.ensureReady();

  const { search, collections } = createSearch(config);
  // Typesense is derived data: a worker starts (and archives into Postgres) while it is down, and
  // the collections are created by the first indexing that finds it back.
  let searchReady: Promise<void> | null = null;
  const ensureSearch = () => {
    searchReady ??= ensureCollections(search, collections).then(
      () => undefined,
      (err) => {
        searchReady = null;
        throw err;
      },
    );
    return searchReady;
  };
  await ensureSearch().catch((err: Error) =>
    logger.warn({ err: err.message }, 'Typesense not ready; indexing will retry until it is'),
  );

  const sealKeys = createSealKeyProvider(config, db);
  if ((await sealKeys()).development)
    logger.warn('SEAL_SIGNING_KEY is not set: seals are signed with a generated local development key');
  if (!config.ARCHIVE_ENCRYPTION_KEY)
    logger.warn(
      'ARCHIVE_ENCRYPTION_KEY is not set: bot keys are sealed with the public development key (local development only)',
    );
  const [encryption, ...previousEncryption] = secrets.encryptionKeys as [Buffer, ...Buffer[]];
  const box = createSecretBox(encryption, previousEncryption);
  // One keep-alive pool for every tenant's Blip client.
  const blipPool = new Agent({ keepAliveTimeout: 10_000, connections: 32 });
  // Chromium starts on the first export and is shared; a crashed one is replaced on next use.
  let browser: Promise<Browser> | null = null;
  const sharedBrowser = async () => {
    const current = browser ? await browser.catch(() => null) : null;
    if (current?.connected) return current;
    browser = launchChromium(config.CHROMIUM_PATH);
    return browser;
  };

  return {
    db,
    box,
    store,
    search,
    collections,
    searchReady: ensureSearch,
    textWindowMonths: config.SEARCH_TEXT_DEFAULT_MONTHS,
    sealKeys,
    async blipFor(tenantId) {
      const tenant = await getTenant(db, tenantId);
      if (!tenant) throw Object.assign(new TenantNotFoundError(tenantId), { retryable: false });
      return createBlipClient({
        baseUrl: tenant.commandsUrl ?? config.BLIP_API_URL,
        authorization: await tenantAuthorization(db, box, tenantId),
        timeoutMs: config.BLIP_TIMEOUT_MS,
        dispatcher: blipPool,
      });
    },
    mediaMaxBytes: config.MEDIA_MAX_BYTES,
    mediaAllowedOrigins: config.BLIP_MEDIA_ALLOWED_ORIGINS,
    mediaTimeoutMs: config.BLIP_TIMEOUT_MS,
    mediaParallelism: 4,
    mediaBatchSize: 16,
    mediaCallBudgetMs: 60_000,
    mediaBudget: { maxAttempts: config.MEDIA_MAX_ATTEMPTS, maxWaitMs: config.MEDIA_MAX_WAIT_SECONDS * 1000 },
    mediaDeadline: {
      floorMs: config.MEDIA_DOWNLOAD_DEADLINE_MS,
      minBytesPerSecond: config.MEDIA_MIN_BYTES_PER_SECOND,
    },
    logger,
    browser: sharedBrowser,
    publicApiUrl: config.PUBLIC_API_URL.replace(/\/+$/, ''),
    maxEmbeddedImageBytes: config.PDF_MAX_IMAGE_BYTES,
    printTimeoutMs: 10 * 60_000,
    pdfSigner,
    mediaText: { limits: limitsFromConfig(config), defaultLanguages: config.MEDIA_TEXT_LANGUAGES },
    async close() {
      if (browser) await (await browser.catch(() => null))?.close();
      await blipPool.close();
      await db.end();
    },
  };
}
