import type { Dispatcher } from 'undici';
import { createBlipClient } from './client';
import {
  BlipAuthError,
  BlipCommandError,
  BlipNotFoundError,
  BlipRetryableError,
  InvalidBotKeyError,
  isBlipError,
} from './errors';
import { Postmaster } from './lime';
import { ticketUri } from './uris';

/**
 * Whether Blip accepts a bot key, asked with one `get /ticket/{id}` (API.md §3) and failing
 * closed: only Blip's own proof admits the key, i.e. a success carrying that ticket, or the
 * documented "resource not found" failure (LIME 67: the key authenticated, this bot just has no
 * such ticket, API.md §8). Everything else is not proof:
 * - HTTP 401/403 or a LIME authorization failure (31–35): `rejected`;
 * - no answer, a dropped connection, 429, 5xx, 504, a body that is not a LIME envelope:
 *   `unreachable` (worth retrying later);
 * - HTTP 400, 404, 405 (an edge or a wrong commands URL), any other LIME failure, or a success
 *   without the ticket asked for: `invalid-answer` — whatever answered is not behaving as Blip.
 */
export type KeyVerdict = 'accepted' | 'rejected' | 'unreachable' | 'invalid-answer';

export interface KeyCheck {
  verdict: KeyVerdict;
  /** What Blip answered, for the error message; never holds the key. */
  problem?: string;
}

export interface KeyCheckOptions {
  commandsUrl: string;
  authorization: string;
  /** The ticket asked for (the webhook's, or one the tenant archived). */
  ticketId: string;
  timeoutMs: number;
  dispatcher?: Dispatcher;
}

const TICKET_TYPE = 'application/vnd.iris.ticket+json';

export async function checkKeyWithBlip(opts: KeyCheckOptions): Promise<KeyCheck> {
  let blip: ReturnType<typeof createBlipClient>;
  try {
    blip = createBlipClient({
      baseUrl: opts.commandsUrl,
      authorization: opts.authorization,
      timeoutMs: opts.timeoutMs,
      retry: { retries: 1 },
      ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
    });
  } catch (err) {
    if (err instanceof InvalidBotKeyError) return { verdict: 'rejected', problem: err.message };
    if (isBlipError(err)) return { verdict: 'invalid-answer', problem: err.message };
    throw err;
  }
  try {
    const response = await blip.command({
      to: Postmaster.desk,
      method: 'get',
      uri: ticketUri(opts.ticketId),
    });
    const resource = response.resource as { id?: unknown } | null | undefined;
    if (response.type !== undefined && response.type !== TICKET_TYPE) {
      return {
        verdict: 'invalid-answer',
        problem: `Blip answered a success of type ${String(response.type).slice(0, 80)}, not a ticket`,
      };
    }
    if (typeof resource !== 'object' || resource === null || resource.id !== opts.ticketId) {
      return { verdict: 'invalid-answer', problem: 'Blip answered a success without the ticket asked for' };
    }
    return { verdict: 'accepted' };
  } catch (err) {
    if (err instanceof BlipNotFoundError) return { verdict: 'accepted' };
    if (err instanceof BlipAuthError || err instanceof InvalidBotKeyError) {
      return { verdict: 'rejected', problem: err.message };
    }
    if (err instanceof BlipRetryableError) return { verdict: 'unreachable', problem: err.message };
    if (err instanceof BlipCommandError || isBlipError(err)) {
      return { verdict: 'invalid-answer', problem: err.message };
    }
    return { verdict: 'unreachable', problem: (err as Error).message };
  } finally {
    await blip.close();
  }
}
