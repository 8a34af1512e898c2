import { type Dispatcher, request } from 'undici';
import {
  BlipAuthError,
  BlipBadResponseError,
  BlipCommandError,
  BlipConnectionError,
  type BlipError,
  BlipGatewayTimeoutError,
  BlipRateLimitedError,
  BlipServerError,
  BlipTimeoutError,
  type CommandSummary,
  describeCommand,
} from './errors';
import { failureToError, type LimeCommand, type LimeResponse, summarize } from './lime';

/**
 * One LIME command over HTTP: POST the envelope, bound the wait and the body size, and turn every
 * outcome that is not `status: success` into a typed error. No retries here (see retry.ts).
 */
export interface TransportOptions {
  /** Full commands URL, e.g. https://<contract>.http.msging.net/commands. */
  commandsUrl: string;
  /** `Key <token>`; sent as a header, never placed in an error. */
  authorization: string;
  /** Whole-call deadline (connect + headers + body). */
  timeoutMs: number;
  dispatcher: Dispatcher;
  maxResponseBytes: number;
  /** Wait asked of the caller after a 429 without Retry-After (Blip keeps answering 429 ~2 min). */
  rateLimitDefaultRetryMs: number;
  now: () => number;
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);

export async function sendCommand(
  opts: TransportOptions,
  command: LimeCommand,
  callerSignal?: AbortSignal,
): Promise<LimeResponse> {
  const summary = summarize(command);
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const signal = callerSignal ? AbortSignal.any([callerSignal, deadline]) : deadline;

  let res: Dispatcher.ResponseData;
  try {
    res = await request(opts.commandsUrl, {
      method: 'POST',
      headers: {
        authorization: opts.authorization,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify(command),
      dispatcher: opts.dispatcher,
      signal,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
  } catch (err) {
    throw networkError(err, summary, opts.timeoutMs, deadline, callerSignal);
  }

  let body: Buffer;
  try {
    body = await readBounded(res.body, opts.maxResponseBytes, summary);
  } catch (err) {
    if (err instanceof BlipCommandError) throw err;
    throw networkError(err, summary, opts.timeoutMs, deadline, callerSignal);
  }

  const httpError = statusError(res.statusCode, res.headers, summary, opts);
  if (httpError) throw httpError;

  const envelope = parseEnvelope(body, summary);
  if (envelope.id !== undefined && envelope.id !== command.id) {
    throw new BlipBadResponseError(`${describeCommand(summary)}: response id does not match the command id`, {
      command: summary,
      httpStatus: res.statusCode,
    });
  }
  if (envelope.status === 'success') return envelope;
  if (envelope.status === 'failure') throw failureToError(summary, envelope.reason);
  throw new BlipBadResponseError(`${describeCommand(summary)}: response has no success/failure status`, {
    command: summary,
    httpStatus: res.statusCode,
  });
}

async function readBounded(
  body: Dispatcher.ResponseData['body'],
  maxBytes: number,
  summary: CommandSummary,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxBytes) {
      body.destroy();
      throw new BlipCommandError(
        `${describeCommand(summary)}: response larger than ${maxBytes} bytes`,
        'BLIP_RESPONSE_TOO_LARGE',
        { command: summary },
      );
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

function parseEnvelope(body: Buffer, summary: CommandSummary): LimeResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new BlipBadResponseError(`${describeCommand(summary)}: response body is not JSON`, {
      command: summary,
      httpStatus: 200,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BlipBadResponseError(`${describeCommand(summary)}: response body is not a LIME envelope`, {
      command: summary,
      httpStatus: 200,
    });
  }
  return parsed as LimeResponse;
}

function statusError(
  status: number,
  headers: Dispatcher.ResponseData['headers'],
  summary: CommandSummary,
  opts: TransportOptions,
): BlipError | null {
  if (status === 200) return null;
  const what = describeCommand(summary);
  const details = { command: summary, httpStatus: status };
  if (status === 401 || status === 403) {
    return new BlipAuthError(
      `${what}: Blip answered HTTP ${status}: the bot key was refused (wrong, revoked or another contract)`,
      details,
    );
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(headers['retry-after'], opts.now()) ?? opts.rateLimitDefaultRetryMs;
    return new BlipRateLimitedError(
      `${what}: Blip answered HTTP 429 (throughput exceeded); retry after ${retryAfterMs} ms`,
      retryAfterMs,
      details,
    );
  }
  if (status === 504)
    return new BlipGatewayTimeoutError(`${what}: Blip answered HTTP 504 (gateway timeout)`, details);
  if (status === 408)
    return new BlipTimeoutError(`${what}: Blip answered HTTP 408 (request timeout)`, details);
  if (status >= 500) return new BlipServerError(`${what}: Blip answered HTTP ${status}`, details);
  if (status === 400) {
    return new BlipCommandError(
      `${what}: Blip answered HTTP 400 (malformed command envelope)`,
      'BLIP_BAD_REQUEST',
      details,
    );
  }
  return new BlipCommandError(
    `${what}: Blip answered HTTP ${status}; check the commands URL`,
    'BLIP_HTTP_STATUS',
    details,
  );
}

const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** `Retry-After` as delay-seconds or an HTTP-date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  const trimmed = text.trim();
  let ms: number;
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    ms = at - nowMs;
  }
  return Math.min(Math.max(0, Math.round(ms)), MAX_RETRY_AFTER_MS);
}

function networkError(
  err: unknown,
  summary: CommandSummary,
  timeoutMs: number,
  deadline: AbortSignal,
  callerSignal: AbortSignal | undefined,
): unknown {
  // The caller cancelled (e.g. the activity was cancelled): not a Blip failure, pass it on.
  if (callerSignal?.aborted) return callerSignal.reason ?? err;
  const what = describeCommand(summary);
  const code = (err as { code?: unknown })?.code;
  if (deadline.aborted || (typeof code === 'string' && TIMEOUT_CODES.has(code))) {
    return new BlipTimeoutError(`${what}: no answer from Blip within ${timeoutMs} ms`, {
      command: summary,
      cause: err,
    });
  }
  const reason = err instanceof Error ? err.message : String(err);
  return new BlipConnectionError(
    `${what}: connection to Blip failed (${typeof code === 'string' ? `${code}: ` : ''}${reason})`,
    { command: summary, cause: err },
  );
}
