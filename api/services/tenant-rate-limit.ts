import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { ReadAccess } from './read-access';

/** Requests per bucket (tenant of the session, hash of a `Key`, else client address) per window. */
export interface TenantRateLimit {
  max: number;
  timeWindowMs: number;
}

/**
 * Registers @fastify/rate-limit on an (encapsulated) route plugin, keyed like the search limit
 * (ReadAccess.rateLimitKey: a forged key claiming a tenant gets its own bucket). Routes opt in with
 * `config: tenantRateLimitConfig(...)`; each route counts in its own bucket per key.
 */
export async function registerTenantRateLimit(app: FastifyInstance, access: ReadAccess): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    hook: 'preHandler',
    keyGenerator: (req) => access.rateLimitKey(req),
  });
}

/**
 * Route config of one limited route: the 429 (`error: 'rate_limited'`, which the UI translates)
 * names what was limited and the setting that sets it, e.g. READ_RATE_LIMIT_PER_MINUTE=1200.
 */
export function tenantRateLimitConfig(limit: TenantRateLimit, what: string, setting: string) {
  return {
    rateLimit: {
      max: limit.max,
      timeWindow: limit.timeWindowMs,
      errorResponseBuilder: (_req: unknown, ctx: { max: number; after: string }) => ({
        statusCode: 429,
        error: 'rate_limited',
        message: `too many ${what} for this tenant: ${setting}=${ctx.max} per ${ctx.after}; retry later`,
      }),
    },
  };
}
