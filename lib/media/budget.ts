/**
 * Each media item's budget: a link that keeps failing is given up on (recorded unavailable) after
 * `maxAttempts` attempts or `maxWaitMs` after its first failure, whichever comes first, so the
 * ticket can be sealed. The counts live on the media row (lib/db/media.ts).
 */
export interface MediaBudget {
  maxAttempts: number;
  maxWaitMs: number;
}

/** Why the budget is spent — the start of the item's `unavailable` reason — or null while it is not. */
export function budgetSpent(
  record: { attempts: number; sinceFirstFailureMs: number },
  budget: MediaBudget,
): string | null {
  const attempts = `${record.attempts} attempt${record.attempts === 1 ? '' : 's'}`;
  if (record.attempts >= budget.maxAttempts) return `gave up after ${attempts}`;
  if (record.attempts > 0 && record.sinceFirstFailureMs >= budget.maxWaitMs)
    return `gave up after ${attempts} over ${duration(record.sinceFirstFailureMs)}`;
  return null;
}

function duration(ms: number): string {
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}
