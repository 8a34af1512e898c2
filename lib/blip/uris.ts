import { BlipCommandError } from './errors';

/**
 * Builders for the command URIs of docs/blip-api.md §3. Identities and ids are encoded with
 * encodeURIComponent (so `@` becomes `%40`, as sdk-js does); `$` query keys stay literal, as
 * in Blip's own examples.
 */

export const MAX_TAKE = 100;

function segment(name: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new BlipCommandError(`${name} must be a non-empty string`, 'BLIP_INVALID_ARGUMENT');
  }
  return encodeURIComponent(value);
}

export function checkTake(take: number): number {
  if (!Number.isInteger(take) || take < 1 || take > MAX_TAKE) {
    throw new BlipCommandError(`page size must be an integer from 1 to ${MAX_TAKE}`, 'BLIP_INVALID_ARGUMENT');
  }
  return take;
}

function checkSkip(skip: number): number {
  if (!Number.isInteger(skip) || skip < 0) {
    throw new BlipCommandError('skip must be a non-negative integer', 'BLIP_INVALID_ARGUMENT');
  }
  return skip;
}

function query(params: Array<[string, string | number | boolean | undefined]>): string {
  const parts = params
    .filter((p): p is [string, string | number | boolean] => p[1] !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : String(v)}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** `/ticket/{id}` — singular; `/tickets/{id}` is not supported by Blip (failure 62). */
export function ticketUri(ticketId: string): string {
  return `/ticket/${segment('ticket id', ticketId)}`;
}

export interface TicketMessagesQuery {
  skip: number;
  take: number;
  ascending: boolean;
  /** Adds getFromOwnerIfTunnel=true: required for customers behind a router (tunnel identities). */
  tunnel: boolean;
  attendanceTranscriptionOnly?: boolean;
}

export function ticketMessagesUri(ticketId: string, q: TicketMessagesQuery): string {
  return `/tickets/${segment('ticket id', ticketId)}/messages${query([
    ['$skip', checkSkip(q.skip)],
    ['$take', checkTake(q.take)],
    ['$ascending', q.ascending],
    ['getFromOwnerIfTunnel', q.tunnel ? true : undefined],
    ['attendanceTranscriptionOnly', q.attendanceTranscriptionOnly ? true : undefined],
  ])}`;
}

export function contactUri(identity: string): string {
  return `/contacts/${segment('contact identity', identity)}`;
}

/** The uuid part of `<uuid>@tunnel.msging.net`, or the value itself when it has no domain. */
export function tunnelIdOf(identityOrId: string): string {
  const at = identityOrId.indexOf('@');
  return at < 0 ? identityOrId : identityOrId.slice(0, at);
}

export function tunnelUri(tunnelIdOrIdentity: string): string {
  return `/tunnels/${segment('tunnel id', tunnelIdOf(tunnelIdOrIdentity))}`;
}

function isoInstant(name: string, value: Date | string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new BlipCommandError(`${name} must be a valid date`, 'BLIP_INVALID_ARGUMENT');
  }
  return date.toISOString();
}

export interface DateRange {
  from: Date | string;
  to: Date | string;
}

/** OData-style filter on storageDate, encoded like Blip's examples (spaces and ':' escaped). */
export function storageDateFilter(range: DateRange): string {
  const from = isoInstant('from', range.from);
  const to = isoInstant('to', range.to);
  return encodeURIComponent(
    `storageDate ge datetimeoffset'${from}' and storageDate le datetimeoffset'${to}'`,
  );
}

export function historyMetadataUri(range: DateRange, skip: number, take: number): string {
  return `/tickets/history/metadata${query([
    ['$filter', storageDateFilter(range)],
    ['$skip', checkSkip(skip)],
    ['$take', checkTake(take)],
  ])}`;
}

/** Tickets of one customer (closed ones by default), docs/blip-api.md §3 "Closed tickets of a customer". */
export function customerTicketsUri(identity: string, closed: boolean, skip: number, take: number): string {
  if (typeof identity !== 'string' || identity.includes("'")) {
    throw new BlipCommandError('customer identity must not contain quotes', 'BLIP_INVALID_ARGUMENT');
  }
  return `/tickets${query([
    ['$filter', encodeURIComponent(`(CustomerIdentity eq '${identity}')`)],
    ['$closed', closed ? true : undefined],
    ['$skip', checkSkip(skip)],
    ['$take', checkTake(take)],
  ])}`;
}

export interface ThreadQuery {
  take: number;
  storageDate?: Date | string;
  direction?: 'asc' | 'desc';
  refreshExpiredMedia?: boolean;
}

export function threadUri(identity: string, q: ThreadQuery): string {
  return `/threads/${segment('thread identity', identity)}${query([
    ['$take', checkTake(q.take)],
    [
      'storageDate',
      q.storageDate === undefined ? undefined : encodeURIComponent(isoInstant('storageDate', q.storageDate)),
    ],
    ['direction', q.direction],
    ['refreshExpiredMedia', q.refreshExpiredMedia ? true : undefined],
  ])}`;
}

export const REFRESH_MEDIA_URI = '/refresh-media-uri';
