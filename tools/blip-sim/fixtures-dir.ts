import path from 'node:path';

/** The Blip fixture set the repository owns (`fixtures/blip/`): the demo's and the tests' default. */
export const DEFAULT_FIXTURES_DIR = path.resolve(__dirname, '../../fixtures/blip');

/** The fixture directory in use: `BLIP_FIXTURES_DIR` when set, otherwise the repository's own. */
export function fixturesDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.BLIP_FIXTURES_DIR || DEFAULT_FIXTURES_DIR);
}
