import type { FastifyInstance } from 'fastify';
import { waitFor } from '../../tools/harness/wait';

/**
 * The Origin a browser sends from the archive's own pages when `inject` plays them (its Host is
 * localhost:80): state-changing requests with the session cookie need it (api/plugins/origin-check.ts).
 */
export const SAME_ORIGIN = { origin: 'http://localhost' } as const;

/** The parsed JSON body, untyped as Fastify's `inject().json()` gives it: tests read the fields they assert. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies of every route, checked field by field in the tests
type JsonBody = any;

export type SessionApi = (
  method: 'GET' | 'POST',
  url: string,
  payload?: unknown,
) => Promise<{ statusCode: number; body: JsonBody }>;

/** Calls the API in-process as a signed-in user; `cookie` is read at each call (set in a beforeAll). */
export function sessionApi(app: () => FastifyInstance, cookie: () => string): SessionApi {
  return async (method, url, payload) => {
    const res = await app().inject({
      method,
      url,
      headers: {
        cookie: cookie(),
        ...SAME_ORIGIN,
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
    return { statusCode: res.statusCode, body: res.json() };
  };
}

/** Starts an export (202) and waits, at most two minutes, until it is no longer running. */
export async function exportToEnd(api: SessionApi, url: string, payload?: unknown) {
  const started = await api('POST', url, payload);
  if (started.statusCode !== 202) throw new Error(`export not started: ${JSON.stringify(started)}`);
  const { exportId } = started.body as { exportId: string };
  const state = await waitFor(
    `export ${exportId} to finish`,
    120_000,
    async () => {
      const current = (await api('GET', `/v1/exports/${exportId}`)).body;
      return current.status === 'running' ? undefined : current;
    },
    250,
  );
  return { exportId, state };
}
