/**
 * Errors the API maps to HTTP answers; the message names the problem and never holds a secret.
 * `error` is a stable code (ERROR_CODES) and `reason` + `params` a finer one when the caller can
 * act on it (e.g. `from_invalid` with `{ field: 'from' }`): the UI translates codes, never the
 * English `message` (issue 15; test/unit/ui-codes.test.ts checks every code has words in every
 * UI language).
 */
export type ErrorParams = Record<string, string | number>;

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly errorCode: string,
    message: string,
    readonly reason?: string,
    readonly params?: ErrorParams,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Every `error` code an answer of this API can carry (api/plugins/errors.ts included). */
export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'rate_limited',
  'export_too_large',
  'unsupported_media_type',
  'payload_too_large',
  'bad_gateway',
  'unavailable',
  'internal_error',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Finer `reason` codes with their `params`, for answers the user can correct. */
export const ERROR_REASONS = [
  'date_invalid',
  'date_unreal',
  'date_range_inverted',
  'phone_too_short',
  'ticket_invalid',
  'tenant_invalid',
  'facet_invalid',
  'has_invalid',
  'search_reindex_needed',
  'lang_invalid',
  'too_many_messages',
  'too_many_exports',
  'redact_pattern_unknown',
  'redact_regex_invalid',
  'redact_empty',
] as const;
export type ErrorReason = (typeof ERROR_REASONS)[number];

const make =
  (status: number, code: ErrorCode) =>
  (msg: string, reason?: ErrorReason, params?: ErrorParams): HttpError =>
    new HttpError(status, code, msg, reason, params);

export const badRequest = make(400, 'bad_request');
export const unauthorized = make(401, 'unauthorized');
export const forbidden = make(403, 'forbidden');
export const badGateway = make(502, 'bad_gateway');
export const unavailable = make(503, 'unavailable');
export const notFound = make(404, 'not_found');
export const tooManyRequests = make(429, 'rate_limited');
export const exportTooLarge = make(422, 'export_too_large');
