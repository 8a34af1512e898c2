import { randomUUID } from 'node:crypto';
import type { ObjectStore } from '../storage/object-store';

/** Suffix of media objects being written; a bucket lifecycle rule removes stale ones. */
export const PARTIAL_SUFFIX = '.partial';

/** A fresh key for one streamed upload, under the tenant's prefix so an erasure can find it. */
export function partialKey(tenantId: string): string {
  return `${tenantId}/incoming/${randomUUID()}${PARTIAL_SUFFIX}`;
}

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
