import type { CliDeps, CliIo } from '../../cli/context';
import { runCli } from '../../cli/main';
import { encryptionKey } from '../../lib/config';
import { createSecretBox } from '../../lib/crypto';
import { createSealKeyProvider } from '../../lib/integrity/key-provider';
import type { ArchiveEnv } from '../../tools/harness/archive-env';

/**
 * The ops CLI in-process against an archive env (the same code path as `npx ticket-vault`):
 * `cli('tenants', 'list', '--json')` → exit code, stdout, stderr.
 */
export function cliFor(env: ArchiveEnv) {
  const deps: CliDeps = {
    config: env.config,
    db: env.db,
    store: env.store,
    search: env.search,
    collections: env.collections,
    box: createSecretBox(encryptionKey(env.config).key),
    sealKeys: createSealKeyProvider(env.config, env.db),
    temporal: async () => env.temporal,
    actor: 'cli:test',
    close: async () => undefined,
  };
  return async function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), tty: false };
    const code = await runCli(argv, { io, deps, pollMs: 150 });
    const stdout = out.join('');
    return { code, stdout, stderr: err.join(''), json: () => JSON.parse(stdout) };
  };
}
