import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../services/http-errors';

/**
 * One error handler for every route. 4xx answers name the problem but never echo request data
 * (a JSON parse error would quote the body, and the body carries the bot key); 5xx answer a
 * generic message and the detail goes to the log only.
 */
const FASTIFY_CODES: Record<string, { error: string; message?: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    error: 'unsupported_media_type',
    message: 'Content-Type must be application/json',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { error: 'payload_too_large', message: 'request body is larger than allowed' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { error: 'bad_request', message: 'body is empty; expected a JSON object' },
  FST_ERR_CTP_INVALID_JSON_BODY: { error: 'bad_request', message: 'body is not valid JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    error: 'bad_request',
    message: 'Content-Length does not match the body',
  },
  FST_ERR_VALIDATION: { error: 'bad_request' },
};

/**
 * Errors that mean a backing service (Postgres, Temporal, Typesense, storage) is down or
 * restarting rather than a bug: the caller gets 503 and should retry, as Blip's action does.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up)
  '08000',
  '08001',
  '08003',
  '08006',
]);

export function isDependencyUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown };
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
  // gRPC UNAVAILABLE (Temporal) and pg's "terminated" messages carry no code of ours.
  if (e.code === 14) return true;
  if (
    typeof e.message === 'string' &&
    /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/.test(e.message)
  ) {
    return true;
  }
  return e.cause !== undefined && e.cause !== err && isDependencyUnavailable(e.cause);
}

export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  // Our own errors carry messages written for the caller, 5xx included (e.g. Blip unreachable).
  if (err instanceof HttpError) {
    return reply.code(err.statusCode).send({
      error: err.errorCode,
      message: err.message,
      ...(err.reason ? { reason: err.reason } : {}),
      ...(err.params && Object.keys(err.params).length > 0 ? { params: err.params } : {}),
    });
  }
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
  if (status >= 500 && isDependencyUnavailable(err)) {
    req.log.warn({ err }, 'a backing service is unavailable');
    return reply
      .code(503)
      .header('retry-after', '5')
      .send({ error: 'unavailable', message: 'a backing service is unavailable right now; retry shortly' });
  }
  if (status >= 500) {
    req.log.error({ err }, 'request failed');
    return reply
      .code(status)
      .send({ error: 'internal_error', message: 'internal error; see the server log' });
  }
  const known = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (known) {
    // A schema violation names its field, so the UI can say which one (`params.field`).
    const field = err.validation?.[0]?.instancePath?.replace(/^\//, '') || undefined;
    return reply.code(status).send({
      error: known.error,
      message: known.message ?? err.message,
      ...(field ? { params: { field } } : {}),
    });
  }
  if (err instanceof SyntaxError)
    return reply.code(400).send({ error: 'bad_request', message: 'body is not valid JSON' });
  if (status === 429) return reply.code(429).send({ error: 'rate_limited', message: err.message });
  const code = (err as { errorCode?: string }).errorCode ?? 'bad_request';
  return reply.code(status).send({ error: code, message: err.message });
}
