import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';

/**
 * `npx tsx test/support/replay-history.ts <history.json>`: replays a workflow history (from
 * `temporal workflow show --output json` or the Web UI's download) against the current workflows/
 * code. Exits 1 with the reason when the code is not deterministic for that history.
 */
async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: npx tsx test/support/replay-history.ts <history.json>');
    process.exit(2);
  }
  const history = JSON.parse(fs.readFileSync(path.resolve(file), 'utf8'));
  await Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, history);
  console.log(`replayed ${file}: deterministic`);
}

main().catch((err) => {
  console.error(`replay failed: ${(err as Error).message}`);
  process.exit(1);
});
