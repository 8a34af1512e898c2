import { tooManyRequests } from './http-errors';

/**
 * A per-tenant cap on requests in progress at once (this API process): a verify hashes every media
 * object of a ticket, a ticket read signs a URL per media item, so one tenant looping over them would
 * take the database and object store from the others. Beyond the cap the request is refused at once
 * (429 naming the setting), never queued: a queue would only move the pile-up into memory.
 */
export interface TenantConcurrency {
  run<T>(tenantId: string, work: () => Promise<T>): Promise<T>;
  /** Requests of the tenant in progress now (metrics and tests). */
  running(tenantId: string): number;
}

export function tenantConcurrency(setting: string, max: number, what: string): TenantConcurrency {
  const inProgress = new Map<string, number>();
  return {
    async run(tenantId, work) {
      const n = inProgress.get(tenantId) ?? 0;
      if (n >= max)
        throw tooManyRequests(
          `this archive already has ${n} ${what} in progress (${setting}=${max}); retry when one finishes`,
        );
      inProgress.set(tenantId, n + 1);
      try {
        return await work();
      } finally {
        const left = (inProgress.get(tenantId) ?? 1) - 1;
        if (left > 0) inProgress.set(tenantId, left);
        else inProgress.delete(tenantId);
      }
    },
    running: (tenantId) => inProgress.get(tenantId) ?? 0,
  };
}
