import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { MIGRATIONS_DIR } from '../lib/db/migrate';
import { writeWorkflowBundle } from './harness/workflow-bundle';

/**
 * The worker as production runs it (Dockerfile, infra/k8s/worker.yaml): plain JavaScript instead of
 * TypeScript compiled on the fly by tsx, and the workflow bundle built here instead of by webpack at
 * every start. Both cost the running worker memory it never gives back: tsx's loader thread and
 * transform caches (~50 MB PSS idle) and webpack's start-up run (docs/performance.md).
 *
 *   npm run build:worker [-- --out dist/worker]
 *
 * writes `main.cjs` (node_modules left outside, as installed), `migrations/` (the worker applies
 * them at start; lib/db/migrate.ts finds them next to the code) and `workflow-bundle.js`, which the
 * worker loads when WORKER_WORKFLOW_BUNDLE names it.
 */
export interface BuiltWorker {
  main: string;
  workflowBundle: string;
}

export async function buildWorker(outDir: string): Promise<BuiltWorker> {
  const root = path.resolve(__dirname, '..');
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const main = path.join(outDir, 'main.cjs');
  await build({
    entryPoints: [path.join(root, 'worker/main.ts')],
    outfile: main,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'error',
  });
  fs.cpSync(MIGRATIONS_DIR, path.join(outDir, 'migrations'), { recursive: true });
  const workflowBundle = path.join(outDir, 'workflow-bundle.js');
  await writeWorkflowBundle(workflowBundle);
  return { main, workflowBundle };
}

if (require.main === module) {
  const at = process.argv.indexOf('--out');
  const outDir = path.resolve(at > 0 ? (process.argv[at + 1] ?? '') : 'dist/worker');
  buildWorker(outDir).then(
    (built) => console.log(`worker built: ${built.main}\nworkflow bundle: ${built.workflowBundle}`),
    (err) => {
      console.error(`build:worker failed: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
