import { type CommandContext, collection, failure, type LimeReason, success } from './envelope';
import { checkFilter, matchesFilter, parseFilter, UnsupportedFilterError } from './filter';
import type { FixtureSet, JsonObject } from './fixtures';
import { MalformedUriError, parseLimeUri } from './lime-uri';
import { signedMediaUri } from './media-signing';
import type { SimStore } from './store';

/**
 * The LIME commands of docs/blip-api.md §11, answered from the store. Pure apart from the clock: takes the
 * authenticated caller and the parsed command, returns the response envelope (HTTP 200 for
 * successes and LIME failures alike, as Blip does).
 */

export interface SimCommand {
  id: string;
  method: string;
  uri: string;
  to?: string;
  type?: string;
  resource?: unknown;
}

export interface CommandDeps {
  store: SimStore;
  fixtures: FixtureSet;
  now: () => Date;
  /** Origins a media link may have when a client asks to refresh it (fixture host, own host). */
  mediaOrigins: () => string[];
  /** True when a fault asks refresh-media-uri to hand out an already-expired link. */
  takeExpiredLink: () => boolean;
}

const TICKET_TYPE = 'application/vnd.iris.ticket+json';
const THREAD_MESSAGE_TYPE = 'application/vnd.iris.thread-message+json';
const MAX_TAKE = 100;
const LINK_EXPIRED_BY_MS = 31 * 60 * 1000;

const DEFAULT_REASONS = {
  notFound: { code: 67, description: 'The requested resource was not found' },
  notSupported: { code: 62, description: 'The resource is not supported' },
  // [I] LIME code 63; the description is the simulator's wording.
  methodNotSupported: { code: 63, description: 'The method is not supported' },
  invalidArgument: { code: 64, description: 'Invalid argument' },
  unsupportedContentType: { code: 71, description: 'The content type is not supported' },
  takeTooLarge: { description: 'The take parameter can not be greater than 100' },
} satisfies Record<string, LimeReason>;

/** Reason texts come from the fixture's errors/*.json when present, so a fixture set can reword them. */
function reasonFrom(fixtures: FixtureSet, file: string, fallback: LimeReason): LimeReason {
  const reason = fixtures.errors[file]?.reason as { code?: unknown; description?: unknown } | undefined;
  if (!reason || typeof reason.description !== 'string') return fallback;
  return typeof reason.code === 'number'
    ? { code: reason.code, description: reason.description }
    : { description: reason.description };
}

class CommandFailure extends Error {
  constructor(readonly reason: LimeReason) {
    super(reason.description);
  }
}

/** `to` without instance, lower-cased; a missing `to` is the bot's own server. */
export function postmasterOf(to: string | undefined): string {
  if (!to) return 'postmaster@msging.net';
  return (to.split('/')[0] ?? '').toLowerCase();
}

export function handleCommand(deps: CommandDeps, caller: string, command: SimCommand): JsonObject {
  const postmaster = postmasterOf(command.to);
  const ctx: CommandContext = {
    id: command.id,
    method: command.method,
    uri: command.uri,
    postmaster,
    caller,
  };
  const reasons = reasonsOf(deps.fixtures);
  try {
    const { segments, query } = parseLimeUri(command.uri);
    const route = { deps, ctx, caller, command, segments, query, reasons };
    switch (postmaster) {
      case 'postmaster@desk.msging.net':
        return desk(route);
      case 'postmaster@crm.msging.net':
        return contacts(route);
      case 'postmaster@msging.net':
        return segments[0] === 'threads' ? threads(route) : contacts(route);
      case 'postmaster@tunnel.msging.net':
        return tunnels(route);
      case 'postmaster@media.msging.net':
        return media(route);
      default:
        return failure(ctx, reasons.notSupported);
    }
  } catch (err) {
    if (err instanceof CommandFailure) return failure(ctx, err.reason);
    if (err instanceof MalformedUriError) return failure(ctx, reasons.invalidArgument);
    throw err;
  }
}

function reasonsOf(fixtures: FixtureSet) {
  return {
    ...DEFAULT_REASONS,
    notFound: reasonFrom(fixtures, 'ticket-not-found.json', DEFAULT_REASONS.notFound),
    contactNotFound: reasonFrom(fixtures, 'contact-not-found.json', DEFAULT_REASONS.notFound),
    mediaNotFound: reasonFrom(fixtures, 'media-refresh-failed.json', DEFAULT_REASONS.notFound),
    notSupported: reasonFrom(fixtures, 'tickets-get-by-id-not-supported.json', DEFAULT_REASONS.notSupported),
    takeTooLarge: reasonFrom(fixtures, 'take-too-large.json', DEFAULT_REASONS.takeTooLarge),
  };
}

interface Route {
  deps: CommandDeps;
  ctx: CommandContext;
  caller: string;
  command: SimCommand;
  segments: string[];
  query: Map<string, string>;
  reasons: ReturnType<typeof reasonsOf>;
}

function requireMethod(route: Route, method: string): void {
  if (route.command.method !== method) throw new CommandFailure(route.reasons.methodNotSupported);
}

function intParam(route: Route, name: string, fallback: number): number {
  const raw = route.query.get(name);
  if (raw === undefined) return fallback;
  if (!/^\d{1,9}$/.test(raw)) throw new CommandFailure(route.reasons.invalidArgument);
  return Number(raw);
}

function takeParam(route: Route, fallback: number): number {
  const take = intParam(route, '$take', fallback);
  if (take > MAX_TAKE) throw new CommandFailure(route.reasons.takeTooLarge);
  return take;
}

const isTrue = (value: string | undefined) => value?.toLowerCase() === 'true';

// ── desk ─────────────────────────────────────────────────────────────────────────────────────

function desk(route: Route): JsonObject {
  const [first, second, third, ...rest] = route.segments;
  if (first === 'ticket' && second !== undefined && third === undefined) {
    requireMethod(route, 'get');
    const ticket = route.deps.store.ticketOf(route.caller, second);
    if (!ticket) throw new CommandFailure(route.reasons.notFound);
    return success(route.ctx, TICKET_TYPE, ticket.resource);
  }
  if (first === 'tickets') {
    if (second === undefined) {
      requireMethod(route, 'get');
      return ticketList(route, isTrue(route.query.get('$closed')), 'newest-first');
    }
    if (second === 'history' && third === 'metadata' && rest.length === 0) {
      requireMethod(route, 'get');
      return ticketList(route, true, 'oldest-first');
    }
    if (third === 'messages' && rest.length === 0) {
      requireMethod(route, 'get');
      return ticketMessages(route, second);
    }
  }
  // Includes `get /tickets/{id}`, which Blip does not support (failure 62) [O].
  throw new CommandFailure(route.reasons.notSupported);
}

function ticketMessages(route: Route, ticketId: string): JsonObject {
  const ticket = route.deps.store.ticketOf(route.caller, ticketId);
  if (!ticket) throw new CommandFailure(route.reasons.notFound);
  const take = takeParam(route, MAX_TAKE);
  const skip = intParam(route, '$skip', 0);
  const customer = String(ticket.resource.customerIdentity).toLowerCase();
  // [I] Router customers are only visible with getFromOwnerIfTunnel=true.
  if (customer.endsWith('@tunnel.msging.net') && !isTrue(route.query.get('getFromOwnerIfTunnel'))) {
    return collection(route.ctx, THREAD_MESSAGE_TYPE, [], 0);
  }
  let items = ticket.messages;
  if (isTrue(route.query.get('attendanceTranscriptionOnly')))
    items = attendanceWindow(ticket.resource, items);
  // Blip's default order is newest first [D example]; $ascending=true gives oldest first.
  const ordered = isTrue(route.query.get('$ascending')) ? items : [...items].reverse();
  const page = ordered.slice(skip, skip + take);
  return collection(route.ctx, THREAD_MESSAGE_TYPE, page, page.length);
}

/** From the ticket's own ticket-event item (or storageDate) to closeDate [O]/[I]. */
function attendanceWindow(ticket: JsonObject, items: JsonObject[]): JsonObject[] {
  const eventIndex = items.findIndex((m) => m.id === ticket.id && m.type === TICKET_TYPE);
  const startAt = Date.parse(String(ticket.storageDate));
  const from =
    eventIndex >= 0 ? items.slice(eventIndex) : items.filter((m) => !(Date.parse(String(m.date)) < startAt));
  const closeAt = Date.parse(String(ticket.closeDate));
  return Number.isNaN(closeAt) ? from : from.filter((m) => !(Date.parse(String(m.date)) > closeAt));
}

function ticketList(route: Route, closedOnly: boolean, order: 'oldest-first' | 'newest-first'): JsonObject {
  const take = takeParam(route, MAX_TAKE);
  const skip = intParam(route, '$skip', 0);
  const filterText = route.query.get('$filter');
  let tickets = route.deps.store.ticketsOf(route.caller).map((t) => t.resource);
  if (closedOnly) tickets = tickets.filter((t) => t.closed === true);
  if (filterText !== undefined && filterText.trim() !== '') {
    try {
      const filter = parseFilter(filterText);
      checkFilter(filter);
      tickets = tickets.filter((t) => matchesFilter(filter, t));
    } catch (err) {
      if (err instanceof UnsupportedFilterError) throw new CommandFailure({ description: err.message });
      throw err;
    }
  }
  const at = (t: JsonObject) => Date.parse(String(t.storageDate)) || 0;
  tickets.sort((a, b) => (order === 'oldest-first' ? at(a) - at(b) : at(b) - at(a)));
  return collection(route.ctx, TICKET_TYPE, tickets.slice(skip, skip + take), tickets.length);
}

// ── contacts, tunnels, threads ───────────────────────────────────────────────────────────────

function contacts(route: Route): JsonObject {
  const [first, identity, ...rest] = route.segments;
  if (first !== 'contacts' || identity === undefined || rest.length > 0) {
    throw new CommandFailure(route.reasons.notSupported);
  }
  requireMethod(route, 'get');
  const contact = route.deps.store.contactOf(route.caller, identity);
  if (!contact) throw new CommandFailure(route.reasons.contactNotFound);
  return success(route.ctx, 'application/vnd.lime.contact+json', contact);
}

function tunnels(route: Route): JsonObject {
  const [first, id, ...rest] = route.segments;
  if (first !== 'tunnels' || id === undefined || rest.length > 0)
    throw new CommandFailure(route.reasons.notSupported);
  requireMethod(route, 'get');
  const tunnel = route.deps.store.tunnelOf(route.caller, id);
  if (!tunnel) throw new CommandFailure(route.reasons.notFound);
  return success(route.ctx, 'application/vnd.iris.tunnel+json', tunnel);
}

/** `/threads/{identity}`: newest first by default, 20 items unless `$take` [D]. */
function threads(route: Route): JsonObject {
  const [, identity, ...rest] = route.segments;
  if (identity === undefined || rest.length > 0) throw new CommandFailure(route.reasons.notSupported);
  requireMethod(route, 'get');
  const take = takeParam(route, 20);
  const skip = intParam(route, '$skip', 0);
  const ascending = route.query.get('direction')?.toLowerCase() === 'asc';
  let items = route.deps.store.threadOf(route.caller, identity);
  const storageDate = route.query.get('storageDate');
  if (storageDate !== undefined) {
    const at = Date.parse(storageDate);
    if (Number.isNaN(at)) throw new CommandFailure(route.reasons.invalidArgument);
    // [S] Inclusive on both directions: clients dedupe by id at the boundary.
    items = items.filter((m) => {
      const t = Date.parse(String(m.date));
      return ascending ? t >= at : t <= at;
    });
  }
  const ordered = ascending ? items : [...items].reverse();
  const page = ordered.slice(skip, skip + take);
  return collection(route.ctx, THREAD_MESSAGE_TYPE, page, page.length);
}

// ── media ────────────────────────────────────────────────────────────────────────────────────

function media(route: Route): JsonObject {
  const [first, id, ...rest] = route.segments;
  if (first !== 'refresh-media-uri' || rest.length > 0) throw new CommandFailure(route.reasons.notSupported);
  if (id === undefined) {
    requireMethod(route, 'set');
    if (route.command.type?.split(';')[0]?.trim().toLowerCase() !== 'text/plain') {
      throw new CommandFailure(route.reasons.unsupportedContentType);
    }
    if (typeof route.command.resource !== 'string' || route.command.resource === '') {
      throw new CommandFailure(route.reasons.invalidArgument);
    }
    return refreshed(route, mediaPathOf(route, route.command.resource));
  }
  // `get /refresh-media-uri/{id}` (sdk-js): the id is the old link or the blob name in it.
  requireMethod(route, 'get');
  const path = /^https?:/i.test(id) ? mediaPathOf(route, id) : route.deps.store.mediaContaining(id)?.path;
  return refreshed(route, path);
}

function mediaPathOf(route: Route, uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  return route.deps.mediaOrigins().includes(url.origin) ? url.pathname : undefined;
}

function refreshed(route: Route, path: string | undefined): JsonObject {
  const item = path === undefined ? undefined : route.deps.store.mediaAt(path);
  if (!item) throw new CommandFailure(route.reasons.mediaNotFound);
  const host = route.deps.fixtures.mediaHost;
  if (!item.requiresSignature) return success(route.ctx, 'text/plain', `${host}${item.path}`);
  const now = route.deps.now();
  const issuedAt = route.deps.takeExpiredLink() ? new Date(now.getTime() - LINK_EXPIRED_BY_MS) : now;
  return success(
    route.ctx,
    'text/plain',
    signedMediaUri(host, item.path, issuedAt, route.deps.fixtures.signingKey),
  );
}
