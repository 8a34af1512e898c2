import fs from 'node:fs';
import { startUiEnv } from './e2e-env';

/**
 * Development aid: `tsx test/support/e2e-dev.ts` archives the fixtures into a throw-away env,
 * starts the API with the UI, prints its URL and keeps running until Ctrl-C (then cleans up).
 */
async function main() {
  const env = await startUiEnv();
  console.log(`UI: ${env.baseUrl}`);
  if (process.env.E2E_DEV_URL_FILE) fs.writeFileSync(process.env.E2E_DEV_URL_FILE, env.baseUrl);
  const stop = async () => {
    await env.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
