/**
 * Typed failures of the Blip client. Every error carries a stable `code` and a `retryable` flag so
 * the Temporal activity layer can map it without string matching: `retryable: false` becomes a
 * non-retryable ApplicationFailure (bad key, missing ticket, client bug), the rest retry with
 * back-off, after `retryAfterMs` when the server asked for a pause.
 *
 * Messages name the command (method + uri) and what went wrong; they never contain the bot key,
 * and no property holds it either.
 */

/** The command an error happened on, for messages and logs. Never includes headers. */
export interface CommandSummary {
  method: string;
  uri: string;
  to?: string;
}

export interface BlipErrorDetails {
  command?: CommandSummary;
  httpStatus?: number;
  /** LIME `reason.code` of a failure envelope, when Blip sent one. */
  reasonCode?: number;
  /** LIME `reason.description`, as Blip wrote it. */
  reasonDescription?: string;
  cause?: unknown;
}

export abstract class BlipError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;
  readonly command?: CommandSummary;
  readonly httpStatus?: number;
  readonly reasonCode?: number;
  readonly reasonDescription?: string;
  /** Milliseconds the server asked us to wait (429 Retry-After or the documented default). */
  readonly retryAfterMs?: number;

  constructor(message: string, details: BlipErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.command = details.command;
    this.httpStatus = details.httpStatus;
    this.reasonCode = details.reasonCode;
    this.reasonDescription = details.reasonDescription;
  }
}

export function describeCommand(command: CommandSummary | undefined): string {
  if (!command) return 'blip command';
  return `${command.method} ${command.uri}${command.to ? ` (to ${command.to})` : ''}`;
}

// ── permanent failures ───────────────────────────────────────────────────────────────────────

/** The `Key …` header value is malformed; says what is wrong, never echoes it. */
export class InvalidBotKeyError extends BlipError {
  readonly code = 'BLIP_INVALID_KEY_FORMAT';
  readonly retryable = false;
}

/** HTTP 401/403 (or a LIME authorization failure): the key is wrong, revoked or lacks rights. */
export class BlipAuthError extends BlipError {
  readonly code: 'BLIP_UNAUTHORIZED' | 'BLIP_FORBIDDEN';
  readonly retryable = false;
  constructor(message: string, details: BlipErrorDetails = {}) {
    super(message, details);
    this.code = details.httpStatus === 403 ? 'BLIP_FORBIDDEN' : 'BLIP_UNAUTHORIZED';
  }
}

/** LIME failure 67: the resource does not exist, or belongs to another bot. */
export class BlipNotFoundError extends BlipError {
  readonly code = 'BLIP_NOT_FOUND';
  readonly retryable = false;
}

export type BlipCommandErrorCode =
  | 'BLIP_RESOURCE_NOT_SUPPORTED' // LIME 62
  | 'BLIP_METHOD_NOT_SUPPORTED' // LIME 63
  | 'BLIP_COMMAND_FAILED' // any other LIME failure, including the code-less $take / filter ones
  | 'BLIP_BAD_REQUEST' // HTTP 400: our envelope was malformed
  | 'BLIP_HTTP_STATUS' // an HTTP status Blip does not document (404 on a wrong URL, 405, …)
  | 'BLIP_MALFORMED_RESOURCE' // a success whose resource lacks what the client needs
  | 'BLIP_RESPONSE_TOO_LARGE'
  | 'BLIP_PAGE_LIMIT'
  | 'BLIP_INVALID_ARGUMENT'; // refused by the client before sending

/** A failure that retrying cannot fix: a client bug, a configuration error, an unsupported query. */
export class BlipCommandError extends BlipError {
  readonly code: BlipCommandErrorCode;
  readonly retryable = false;
  constructor(message: string, code: BlipCommandErrorCode, details: BlipErrorDetails = {}) {
    super(message, details);
    this.code = code;
  }
}

// ── transient failures ───────────────────────────────────────────────────────────────────────

export abstract class BlipRetryableError extends BlipError {
  readonly retryable = true;
}

/** No answer within the client's timeout (including a server that hangs). */
export class BlipTimeoutError extends BlipRetryableError {
  readonly code = 'BLIP_TIMEOUT';
}

/** Refused, reset or dropped connection; also a response cut short. */
export class BlipConnectionError extends BlipRetryableError {
  readonly code = 'BLIP_CONNECTION';
}

/** HTTP 429: command throughput exceeded. */
export class BlipRateLimitedError extends BlipRetryableError {
  readonly code = 'BLIP_RATE_LIMITED';
  override readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, details: BlipErrorDetails = {}) {
    super(message, details);
    this.retryAfterMs = retryAfterMs;
  }
}

/** HTTP 504: Blip produced no command response within its 60 s. */
export class BlipGatewayTimeoutError extends BlipRetryableError {
  readonly code = 'BLIP_GATEWAY_TIMEOUT';
}

/** Any other HTTP 5xx. */
export class BlipServerError extends BlipRetryableError {
  readonly code = 'BLIP_SERVER_ERROR';
}

/** A 200 whose body is not a LIME envelope (non-JSON, wrong id): most likely a proxy hiccup. */
export class BlipBadResponseError extends BlipRetryableError {
  readonly code = 'BLIP_BAD_RESPONSE';
}

export function isBlipError(err: unknown): err is BlipError {
  return err instanceof BlipError;
}
