import { createHash } from 'node:crypto';
import { isTenantId } from '../tenant-id';

/**
 * The tenant filter every search and every search deletion carries (docs/architecture.md rule 6).
 *
 * Typesense 0.24 matches a `string` filter on tokens with punctuation dropped and case folded, so
 * `tenant_id:=acme-bot` also returns `acmebot`, `acme.bot` and `acme_bot` (backticks or `[...]`
 * change nothing). Every document therefore also carries `tenant_key`, the hex sha-256 of the
 * tenant id, and the filter is on that: 64 hex characters have no separator and no case, so they
 * are one token that only the same tenant id produces. Chosen over the tenants' numeric row id
 * because it needs no database lookup on the search path, is the same on every installation and
 * after a restore from backup, and an operator can compute it (`printf %s acme-bot | sha256sum`).
 * The tenant id is already normalised when it is admitted (lib/tenant-id.ts), so the hash is of
 * the stored id exactly: two stored ids never share a key.
 *
 * Collections built before `tenant_key` existed have no such field (Typesense answers 404 "Could
 * not find a filter field named `tenant_key`"). Until `ticket-vault reindex` replaces them
 * (docs/operations.md), `withTenantFilter` falls back to the old `tenant_id` filter, and the
 * search drops every hit whose stored `tenant_id` is not exactly the session's: slower paging
 * counts, never another tenant's data.
 */
export const TENANT_KEY_FIELD = 'tenant_key';

export function tenantKey(tenantId: string): string {
  return createHash('sha256').update(tenantId, 'utf8').digest('hex');
}

export type TenantFilterMode = 'key' | 'legacy';

export function tenantFilter(tenantId: string, mode: TenantFilterMode = 'key'): string {
  // Never let an id that is not one reach filter_by (a backtick or `&&` would change the filter).
  if (!isTenantId(tenantId)) throw new TypeError('not a tenant id; refusing to build a search filter');
  return mode === 'key' ? `${TENANT_KEY_FIELD}:=${tenantKey(tenantId)}` : `tenant_id:=\`${tenantId}\``;
}

/** Whether a Typesense error (thrown, or a multi_search result) says the collection has no `tenant_key`. */
export function isMissingTenantKey(err: unknown): boolean {
  const e = err as { httpStatus?: number; code?: number; message?: string; error?: string } | null;
  const status = e?.httpStatus ?? e?.code;
  const message = String(e?.message ?? e?.error ?? '');
  return status === 404 && message.includes(`filter field named \`${TENANT_KEY_FIELD}\``);
}

/**
 * Runs `op` with the tenant filter on `tenant_key`; when the live collection predates that field,
 * runs it again with the legacy `tenant_id` filter (and reports it through `onLegacy`).
 */
export async function withTenantFilter<T>(
  tenantId: string,
  op: (filter: string, mode: TenantFilterMode) => Promise<T>,
  onLegacy?: () => void,
): Promise<T> {
  try {
    return await op(tenantFilter(tenantId, 'key'), 'key');
  } catch (err) {
    if (!isMissingTenantKey(err)) throw err;
    onLegacy?.();
    return op(tenantFilter(tenantId, 'legacy'), 'legacy');
  }
}
