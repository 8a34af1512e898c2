import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/**
 * One error handler for every route: 4xx keep their message (it names the problem, never a
 * secret); 5xx answer a generic message and the detail goes to the log only.
 */
export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
  if (status >= 500) {
    req.log.error({ err }, 'request failed');
    return reply.code(status).send({ error: 'internal_error', message: 'Internal error; see the server log' });
  }
  const code = (err as { errorCode?: string }).errorCode ?? err.code ?? 'bad_request';
  return reply.code(status).send({ error: String(code).toLowerCase(), message: err.message });
}
