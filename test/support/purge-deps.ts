import type { PurgeDeps } from '../../lib/retention/purge';
import type { ArchiveEnv } from '../../tools/harness/archive-env';

/** What lib/retention/purge.ts needs, taken from a test's archive env (the stores it archived into). */
export const purgeDepsOf = (env: ArchiveEnv, hooks?: PurgeDeps['hooks']): PurgeDeps => ({
  db: env.db,
  box: env.box,
  store: env.store,
  search: env.search,
  collections: env.collections,
  ...(hooks ? { hooks } : {}),
});
