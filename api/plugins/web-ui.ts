import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Serves the extension UI (web/, SvelteKit built with adapter-node) from the API process: every
 * request Fastify has no route for, outside `/v1/*`, `/docs*` and `/healthz`, goes to the
 * adapter-node handler. The UI's server-side loads reach the read API in-process (see
 * `API_BRIDGE`), so one port serves both and the session cookie is first-party.
 */
export interface WebUiOptions {
  /** The adapter-node output folder (holds handler.js); default web/build next to api/. */
  buildDir?: string;
}

/**
 * The UI's `handleFetch` hook (web/src/hooks.server.ts) looks this up to send `/v1/*` requests of
 * server-side loads straight into Fastify with `inject`, instead of a loopback HTTP round trip.
 */
export const API_BRIDGE = Symbol.for('ticket-vault.api-bridge');

type NodeHandler = (
  req: FastifyRequest['raw'],
  res: FastifyReply['raw'],
  next?: (err?: unknown) => void,
) => void;

const API_PATH = /^\/(v1(\/|$)|docs(\/|$)|healthz(\/|$|\?))/;

export const defaultWebBuildDir = () => path.resolve(__dirname, '../../web/build');

/** True when the UI has been built (`npm run build:web`). */
export function webUiBuilt(buildDir = defaultWebBuildDir()): boolean {
  return fs.existsSync(path.join(buildDir, 'handler.js'));
}

// The handler is ESM; this backend is CommonJS, where TypeScript would turn `import()` into
// `require()`. A real dynamic import keeps it ESM.
const importEsm = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<{ handler: NodeHandler }>;

/** Registers the UI on the root instance (not encapsulated: it sets the app's 404 handler). */
export async function registerWebUi(app: FastifyInstance, options: WebUiOptions = {}): Promise<boolean> {
  const buildDir = options.buildDir ?? defaultWebBuildDir();
  if (!webUiBuilt(buildDir)) {
    app.log.warn({ buildDir }, 'web UI not built (npm run build:web); serving the API only');
    return false;
  }
  const { handler } = await importEsm(pathToFileURL(path.join(buildDir, 'handler.js')).href);
  (globalThis as Record<symbol, unknown>)[API_BRIDGE] = (request: Request) => bridge(app, request);
  app.addHook('onClose', async () => {
    delete (globalThis as Record<symbol, unknown>)[API_BRIDGE];
  });

  app.setNotFoundHandler((req, reply) => {
    if (API_PATH.test(req.url)) {
      return reply
        .code(404)
        .send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` });
    }
    reply.hijack();
    handler(req.raw, reply.raw, (err) => {
      if (reply.raw.headersSent) return reply.raw.end();
      reply.raw.statusCode = err ? 500 : 404;
      reply.raw.setHeader('content-type', 'text/plain; charset=utf-8');
      reply.raw.end(err ? 'internal error' : 'not found');
    });
  });
  return true;
}

async function bridge(app: FastifyInstance, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, key) => {
    headers[key] = value;
  });
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  const res = await app.inject({
    method: request.method as 'GET',
    url: url.pathname + url.search,
    headers,
    payload: hasBody ? Buffer.from(await request.arrayBuffer()) : undefined,
  });
  const out = new Headers();
  for (const [key, value] of Object.entries(res.headers)) {
    if (value === undefined || key === 'content-length' || key === 'transfer-encoding') continue;
    for (const v of Array.isArray(value) ? value : [String(value)]) out.append(key, v);
  }
  const empty = res.statusCode === 204 || res.statusCode === 304 || request.method === 'HEAD';
  return new Response(empty ? null : new Uint8Array(res.rawPayload), {
    status: res.statusCode,
    headers: out,
  });
}
