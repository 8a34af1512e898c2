import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');

/**
 * The web UI reads its API types from a generated file; if a route schema changed and nobody ran
 * `npm run openapi`, the UI would be type-checked against the old API. This fails until it is rerun.
 * (A child process: openapi-typescript needs ESM, which jest's CommonJS runtime cannot load.)
 */
test('web/src/lib/api/openapi.d.ts matches the OpenAPI document the routes describe today', () => {
  const run = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'tools/openapi.ts', '--check'],
    { cwd: root, encoding: 'utf8', timeout: 60_000 },
  );
  if (run.status !== 0) throw new Error(`npm run openapi -- --check failed:\n${run.stderr}${run.stdout}`);
  expect(run.stdout).toContain('is up to date');
});
