import { randomUUID } from 'node:crypto';
import { Agent, type Dispatcher } from 'undici';
import type { Contact, Message, MessageContext, Ticket, Tunnel } from './domain';
import { BlipCommandError, BlipNotFoundError } from './errors';
import { isObject } from './fields';
import { type BotKey, parseBotKey } from './key';
import { isCollection, type LimeCommand, type LimeMethod, type LimeResponse, Postmaster } from './lime';
import { normalizeMessage } from './normalize-message';
import { normalizeContact, normalizeTicket, normalizeTunnel } from './normalize-resources';
import { type OffsetPage, pageByOffset } from './paging';
import {
  checkRetryPolicy,
  DEFAULT_RETRY_POLICY,
  type RetryAttemptInfo,
  type RetryPolicy,
  sleep,
  withRetry,
} from './retry';
import { sendCommand } from './transport';
import {
  checkTake,
  contactUri,
  customerTicketsUri,
  type DateRange,
  historyMetadataUri,
  MAX_TAKE,
  REFRESH_MEDIA_URI,
  threadUri,
  ticketMessagesUri,
  ticketUri,
  tunnelUri,
} from './uris';

/**
 * The Blip HTTP command client for one bot (one tenant). Every call: a fresh command id, the
 * bot's `Authorization: Key …`, a deadline, typed errors, and a few bounded retries for transient
 * failures. Listings are async iterators of pages so a long ticket is never held in memory at once.
 */
export interface BlipClientOptions {
  /** The commands URL (config BLIP_API_URL); `/commands` is appended when the path lacks it. */
  baseUrl: string;
  /** `Key <base64 of identifier:secret>`; validated here, so a bad key fails before any call. */
  authorization: string;
  /** Per-attempt deadline; Blip itself gives up after 60 s, docs/blip-api.md §1 suggests 20–30 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Pause asked of the caller after a 429 without Retry-After; Blip answers 429 for ~2 min. */
  rateLimitDefaultRetryMs?: number;
  maxResponseBytes?: number;
  /** Default page cap for listings (200 pages × 100 = 20 000 messages). */
  maxPages?: number;
  /** undici dispatcher to share a connection pool; by default the client owns a keep-alive Agent. */
  dispatcher?: Dispatcher;
  /** Injected for tests and observability. */
  newId?: () => string;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
  onRetry?: (info: RetryAttemptInfo & { command: { method: string; uri: string } }) => void;
}

export interface CallOptions {
  /** Cancels the call (and its retries), e.g. when the Temporal activity is cancelled. */
  signal?: AbortSignal;
}

export interface MessagePage {
  index: number;
  skip: number;
  messages: Message[];
  received: number;
  duplicates: number;
}

export interface TicketMessagesOptions extends CallOptions {
  /** The customer is a tunnel identity (router bot): adds getFromOwnerIfTunnel=true. */
  tunnel: boolean;
  pageSize?: number;
  maxPages?: number;
  /** Resume at this `$skip` (e.g. from an activity heartbeat). */
  fromSkip?: number;
  attendanceTranscriptionOnly?: boolean;
  /** Lets normalisation name the customer as sender. */
  customerIdentity?: string;
}

export interface TicketPage {
  index: number;
  skip: number;
  tickets: Ticket[];
  /** Blip's `total` (the overall count on these listings), when it sent one. */
  total: number | null;
}

export interface ListOptions extends CallOptions {
  pageSize?: number;
  maxPages?: number;
  fromSkip?: number;
}

export interface ThreadOptions extends CallOptions {
  /** Start at this storage date (inclusive), oldest first. */
  from?: Date | string;
  pageSize?: number;
  maxPages?: number;
  refreshExpiredMedia?: boolean;
}

export interface BlipClient {
  readonly bot: Omit<BotKey, 'authorization'>;
  /** Low-level: sends one command (id added) and returns the success envelope. */
  command(command: Omit<LimeCommand, 'id'>, opts?: CallOptions): Promise<LimeResponse>;
  /** `get /ticket/{id}`; a missing ticket (or another bot's) is a BlipNotFoundError. */
  getTicket(ticketId: string, opts?: CallOptions): Promise<Ticket>;
  /** `get /contacts/{identity}`; null when Blip has no contact (failure 67): archive without one. */
  getContact(identity: string, opts?: CallOptions): Promise<Contact | null>;
  /** `get /tunnels/{uuid}`; null when unknown (failure 67). Accepts the uuid or the tunnel identity. */
  getTunnel(tunnelIdOrIdentity: string, opts?: CallOptions): Promise<Tunnel | null>;
  ticketMessages(ticketId: string, opts: TicketMessagesOptions): AsyncGenerator<MessagePage>;
  /** `/threads/{identity}` oldest first, paged by storage date: the fallback for expired tickets. */
  threadMessages(identity: string, opts?: ThreadOptions): AsyncGenerator<MessagePage>;
  /** `set /refresh-media-uri`: a fresh link for an expired one; BlipNotFoundError when Blip has none. */
  refreshMediaUri(uri: string, opts?: CallOptions): Promise<string>;
  /** `/tickets/history/metadata` filtered on storageDate: closed tickets for backfill. */
  closedTickets(range: DateRange, opts?: ListOptions): AsyncGenerator<TicketPage>;
  /** `/tickets?$filter=(CustomerIdentity eq '…')&$closed=true`. */
  customerTickets(identity: string, opts?: ListOptions): AsyncGenerator<TicketPage>;
  /** Closes the connection pool the client created (not an injected dispatcher). */
  close(): Promise<void>;
}

export const BLIP_CLIENT_DEFAULTS = {
  timeoutMs: 25_000,
  rateLimitDefaultRetryMs: 120_000,
  maxResponseBytes: 64 * 1024 * 1024,
  maxPages: 200,
} as const;

export function commandsUrlOf(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new BlipCommandError('Blip commands URL is not a valid URL', 'BLIP_INVALID_ARGUMENT');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BlipCommandError('Blip commands URL must be http or https', 'BLIP_INVALID_ARGUMENT');
  }
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith('/commands') ? path : `${path}/commands`;
  return url.toString();
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new BlipCommandError(`${name} must be a positive integer`, 'BLIP_INVALID_ARGUMENT');
  }
  return value;
}

/** The items of a collection resource; a success without resource is an empty listing. */
function collectionItems(response: LimeResponse, what: string): unknown[] {
  if (response.resource === undefined || response.resource === null) return [];
  if (!isCollection(response.resource)) {
    throw new BlipCommandError(
      `${what}: Blip returned something other than a collection`,
      'BLIP_MALFORMED_RESOURCE',
    );
  }
  return response.resource.items;
}

function collectionTotal(response: LimeResponse): number | null {
  const total = isObject(response.resource) ? response.resource.total : undefined;
  return typeof total === 'number' && Number.isFinite(total) ? total : null;
}

export function createBlipClient(options: BlipClientOptions): BlipClient {
  const key = parseBotKey(options.authorization);
  const commandsUrl = commandsUrlOf(options.baseUrl);
  const retryPolicy = checkRetryPolicy({ ...DEFAULT_RETRY_POLICY, ...options.retry });
  const defaultMaxPages = positiveInt('maxPages', options.maxPages ?? BLIP_CLIENT_DEFAULTS.maxPages);
  const ownsDispatcher = options.dispatcher === undefined;
  const dispatcher =
    options.dispatcher ??
    new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 16 });
  const newId = options.newId ?? randomUUID;
  const transport = {
    commandsUrl,
    authorization: key.authorization,
    timeoutMs: positiveInt('timeoutMs', options.timeoutMs ?? BLIP_CLIENT_DEFAULTS.timeoutMs),
    dispatcher,
    maxResponseBytes: positiveInt(
      'maxResponseBytes',
      options.maxResponseBytes ?? BLIP_CLIENT_DEFAULTS.maxResponseBytes,
    ),
    rateLimitDefaultRetryMs: options.rateLimitDefaultRetryMs ?? BLIP_CLIENT_DEFAULTS.rateLimitDefaultRetryMs,
    now: options.now ?? Date.now,
  };
  const context: MessageContext = { botIdentity: key.identity };

  async function command(partial: Omit<LimeCommand, 'id'>, opts: CallOptions = {}): Promise<LimeResponse> {
    return withRetry(
      retryPolicy,
      {
        sleep: options.sleep ?? sleep,
        random: options.random ?? Math.random,
        onRetry: (info) =>
          options.onRetry?.({ ...info, command: { method: partial.method, uri: partial.uri } }),
      },
      // A fresh id per attempt: Blip echoes it, and a late answer to an earlier attempt must not count.
      () => sendCommand(transport, { id: newId(), ...partial }, opts.signal),
      opts.signal,
    );
  }

  const get = (to: string, uri: string, opts?: CallOptions) =>
    command({ to, method: 'get' as LimeMethod, uri }, opts);

  async function orNullWhenMissing<T>(run: () => Promise<T>): Promise<T | null> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof BlipNotFoundError) return null;
      throw err;
    }
  }

  async function* messagePages(
    pages: AsyncGenerator<OffsetPage<unknown>>,
    ctx: MessageContext,
  ): AsyncGenerator<MessagePage> {
    for await (const page of pages) {
      yield {
        index: page.index,
        skip: page.skip,
        messages: page.items.map((item) => normalizeMessage(item, ctx)),
        received: page.received,
        duplicates: page.duplicates,
      };
    }
  }

  const idOf = (item: unknown) =>
    isObject(item) && typeof item.id === 'string' ? item.id : JSON.stringify(item);

  function ticketPages(
    what: string,
    uriOf: (skip: number, take: number) => string,
    opts: ListOptions,
  ): AsyncGenerator<TicketPage> {
    let total: number | null = null;
    const pages = pageByOffset<unknown>({
      take: checkTake(opts.pageSize ?? MAX_TAKE),
      maxPages: positiveInt('maxPages', opts.maxPages ?? defaultMaxPages),
      fromSkip: opts.fromSkip,
      what,
      idOf,
      fetchPage: async (skip, take) => {
        const response = await get(Postmaster.desk, uriOf(skip, take), opts);
        total = collectionTotal(response);
        return collectionItems(response, what);
      },
    });
    return (async function* () {
      for await (const page of pages) {
        yield { index: page.index, skip: page.skip, tickets: page.items.map(normalizeTicket), total };
      }
    })();
  }

  return {
    bot: { identifier: key.identifier, identity: key.identity },
    command,

    async getTicket(ticketId, opts) {
      const response = await get(Postmaster.desk, ticketUri(ticketId), opts);
      return normalizeTicket(response.resource);
    },

    getContact(identity, opts) {
      return orNullWhenMissing(async () =>
        normalizeContact((await get(Postmaster.crm, contactUri(identity), opts)).resource),
      );
    },

    getTunnel(tunnelIdOrIdentity, opts) {
      return orNullWhenMissing(async () =>
        normalizeTunnel((await get(Postmaster.tunnel, tunnelUri(tunnelIdOrIdentity), opts)).resource),
      );
    },

    ticketMessages(ticketId, opts) {
      const what = `messages of ticket ${ticketId}`;
      const pages = pageByOffset<unknown>({
        take: checkTake(opts.pageSize ?? MAX_TAKE),
        maxPages: positiveInt('maxPages', opts.maxPages ?? defaultMaxPages),
        fromSkip: opts.fromSkip,
        what,
        idOf,
        fetchPage: async (skip, take) => {
          const uri = ticketMessagesUri(ticketId, {
            skip,
            take,
            ascending: true,
            tunnel: opts.tunnel,
            attendanceTranscriptionOnly: opts.attendanceTranscriptionOnly,
          });
          return collectionItems(await get(Postmaster.desk, uri, opts), what);
        },
      });
      return messagePages(pages, { ...context, customerIdentity: opts.customerIdentity });
    },

    async *threadMessages(identity, opts = {}) {
      const take = checkTake(opts.pageSize ?? MAX_TAKE);
      const maxPages = positiveInt('maxPages', opts.maxPages ?? defaultMaxPages);
      const seen = new Set<string>();
      let cursor = opts.from;
      for (let index = 0; index < maxPages; index++) {
        const uri = threadUri(identity, {
          take,
          direction: 'asc',
          storageDate: cursor,
          refreshExpiredMedia: opts.refreshExpiredMedia ?? true,
        });
        const batch = collectionItems(await get(Postmaster.messaging, uri, opts), `thread of ${identity}`);
        const fresh = batch.filter((item) => !seen.has(idOf(item)));
        for (const item of fresh) seen.add(idOf(item));
        if (fresh.length > 0) {
          yield {
            index,
            skip: seen.size - fresh.length,
            messages: fresh.map((item) => normalizeMessage(item, { ...context, customerIdentity: identity })),
            received: batch.length,
            duplicates: batch.length - fresh.length,
          };
        }
        // storageDate is inclusive: a full page of already-seen items means the cursor cannot move.
        if (batch.length < take || fresh.length === 0) return;
        const last = batch[batch.length - 1];
        cursor = isObject(last) && typeof last.date === 'string' ? last.date : undefined;
        if (cursor === undefined) return;
      }
      throw new BlipCommandError(
        `thread of ${identity}: still full after ${maxPages} pages; raise maxPages`,
        'BLIP_PAGE_LIMIT',
      );
    },

    async refreshMediaUri(uri, opts) {
      if (typeof uri !== 'string' || uri === '') {
        throw new BlipCommandError(
          'media uri to refresh must be a non-empty string',
          'BLIP_INVALID_ARGUMENT',
        );
      }
      const response = await command(
        { to: Postmaster.media, method: 'set', uri: REFRESH_MEDIA_URI, type: 'text/plain', resource: uri },
        opts,
      );
      if (typeof response.resource !== 'string' || response.resource === '') {
        throw new BlipCommandError('refresh-media-uri: Blip returned no uri', 'BLIP_MALFORMED_RESOURCE');
      }
      return response.resource;
    },

    closedTickets(range, opts = {}) {
      return ticketPages('closed tickets', (skip, take) => historyMetadataUri(range, skip, take), opts);
    },

    customerTickets(identity, opts = {}) {
      return ticketPages(
        `tickets of ${identity}`,
        (skip, take) => customerTicketsUri(identity, true, skip, take),
        opts,
      );
    },

    async close() {
      if (ownsDispatcher) await dispatcher.close();
    },
  };
}
