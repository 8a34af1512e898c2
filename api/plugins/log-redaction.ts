/**
 * Request logs keep no contact identity: `/v1/contacts/<identity>/…` is logged with the identity
 * segment replaced (a phone number in a log line outlives every erasure of the archive). The other
 * fields are Fastify's own request serializer's.
 */

const CONTACT_SEGMENT = /^(\/v1\/contacts\/)[^/?#]+/i;

export const REDACTED_SEGMENT = '[contact]';

export function redactUrl(url: string | undefined): string | undefined {
  return url?.replace(CONTACT_SEGMENT, `$1${REDACTED_SEGMENT}`);
}

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  headers?: Record<string, unknown>;
  socket?: { remotePort?: number };
}

export function redactedRequest(req: LoggedRequest) {
  return {
    method: req.method,
    url: redactUrl(req.url),
    version: req.headers?.['accept-version'],
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}
