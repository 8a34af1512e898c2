import type { FastifyPluginAsync } from 'fastify';

export type HealthCheck = () => Promise<unknown>;

export interface HealthOptions {
  checks: Record<string, HealthCheck>;
  timeoutMs?: number;
}

interface CheckResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<CheckResult> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return { ok: true, latencyMs: Math.round(performance.now() - t0) };
  } catch (err) {
    // The error text is the dependency's own (connection refused, timeout), never request data.
    return {
      ok: false,
      latencyMs: Math.round(performance.now() - t0),
      error: (err as Error).message.slice(0, 200),
    };
  } finally {
    clearTimeout(timer);
  }
}

const checkSchema = {
  type: 'object',
  required: ['ok', 'latencyMs'],
  properties: { ok: { type: 'boolean' }, latencyMs: { type: 'number' }, error: { type: 'string' } },
} as const;

/** GET /healthz: each dependency with its latency; 200 only when all answer. */
export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, opts) => {
  const timeoutMs = opts.timeoutMs ?? 3000;
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Health of the API and each dependency it needs',
        response: {
          200: { $ref: 'Health#' },
          503: { $ref: 'Health#' },
        },
      },
    },
    async (_req, reply) => {
      const names = Object.keys(opts.checks);
      const results = await Promise.all(names.map((n) => runCheck(opts.checks[n] as HealthCheck, timeoutMs)));
      const dependencies = Object.fromEntries(names.map((n, i) => [n, results[i]]));
      const ok = results.every((r) => r.ok);
      return reply.code(ok ? 200 : 503).send({ ok, dependencies });
    },
  );
};

export const healthSchema = {
  $id: 'Health',
  type: 'object',
  required: ['ok', 'dependencies'],
  properties: {
    ok: { type: 'boolean' },
    dependencies: { type: 'object', additionalProperties: checkSchema },
  },
} as const;
