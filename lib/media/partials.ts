import type { ObjectStore } from '../storage/object-store';

/**
 * Suffix of the partial media uploads older versions wrote (`<tenant>/incoming/<uuid>.partial`,
 * before large media streamed straight into their final name); a bucket lifecycle rule removes them.
 */
export const PARTIAL_SUFFIX = '.partial';

/**
 * Deletes the partial uploads a killed worker left behind (`<tenant>/incoming/*.partial` older
 * than `maxAgeMs`; a younger one may be another worker's transfer in progress), so their bytes do
 * not outlive an erasure even where the bucket has no lifecycle rule. Returns how many went.
 */
export async function removeStalePartials(
  store: ObjectStore,
  tenantIds: readonly string[],
  maxAgeMs = 3600_000,
  now = Date.now(),
): Promise<number> {
  let removed = 0;
  for (const tenantId of tenantIds) {
    for (const { key, createdAt } of await store.list(`${tenantId}/incoming/`)) {
      if (!key.endsWith(PARTIAL_SUFFIX) || now - createdAt.getTime() < maxAgeMs) continue;
      await store.delete(key);
      removed++;
    }
  }
  return removed;
}
