import { isTenantId } from '../tenant-id';
import { MIN_PHONE_DIGITS, phoneDigits } from './phone';
import {
  FACET_FIELDS,
  facetFilter,
  MIN_PHONE_TAIL_DIGITS,
  phoneQueryVariants,
  phoneTailToken,
  type SortOrder,
  zonedDayStart,
} from './search-extras';
import { type TenantFilterMode, tenantFilter } from './tenant-scope';

/**
 * Turns an agent's search (validated strings from the query string) into Typesense parameters.
 * No user text ever reaches `filter_by`: names and free text go in `q`, phones are reduced to
 * digits, ticket ids must be UUIDs or numbers, dates become epoch seconds. The tenant filter is
 * always first and always present (docs/architecture.md rule 6), on `tenant_key` (tenant-scope.ts; `legacy`
 * only for collections built before that field).
 */
export interface TicketQuery {
  q?: string;
  name?: string;
  phone?: string;
  ticket?: string;
  from?: string;
  to?: string;
  /** Facet filters (search-extras.ts FACET_FIELDS): exact values picked from the counts. */
  channel?: string;
  agent?: string;
  team?: string;
  /** One of the ticket's tags, as the agents wrote it (issue 15). */
  tag?: string;
  /** Blip's status code (ClosedClient, Transferred, …): the UI shows it in words. */
  status?: string;
  /** Newest closed first (default) or best match first (search-extras.ts SORT_ORDERS). */
  sort?: SortOrder;
  /** The tenant's zone: a bare date is that whole day there (set by the API, never by the caller). */
  timeZone?: string;
  /** Only tickets holding media of every one of these kinds. */
  has?: MediaKindFilter[];
  /**
   * Free text over the recent months only (`recent`, the default: ticket-search.ts textWindowMonths)
   * or over every date (`all`, the user's "search all dates"). An explicit from/to replaces the window.
   */
  textScope?: TextScope;
  page: number;
  perPage: number;
}

/** Why a search was refused, as a stable code the UI translates (api/services/http-errors.ts ERROR_REASONS). */
export type SearchErrorReason =
  | 'date_invalid'
  | 'date_unreal'
  | 'date_range_inverted'
  | 'phone_too_short'
  | 'ticket_invalid'
  | 'tenant_invalid'
  | 'facet_invalid'
  | 'has_invalid'
  | 'search_reindex_needed';

export const TEXT_SCOPES = ['recent', 'all'] as const;
export type TextScope = (typeof TEXT_SCOPES)[number];

export const MEDIA_KIND_FILTERS = ['image', 'document', 'audio', 'video'] as const;
export type MediaKindFilter = (typeof MEDIA_KIND_FILTERS)[number];

export class SearchQueryError extends Error {
  override name = 'SearchQueryError';
  constructor(
    message: string,
    readonly reason: SearchErrorReason = 'date_invalid',
    readonly params: Record<string, string | number> = {},
  ) {
    super(message);
  }
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * `from`/`to` as epoch seconds; a bare date means the start (from) or the end (to) of that day in
 * `timeZone` (the tenant's; UTC when none is given).
 */
export function parseDateBound(name: 'from' | 'to', value: string, timeZone = 'UTC'): number {
  let ms: number;
  if (DATE_ONLY.test(value)) {
    ms = Date.parse(`${value}T00:00:00Z`);
    // Date.parse rolls 2025-02-30 over to March; a day that does not exist is an error.
    if (Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) !== value) ms = Number.NaN;
    else if (!Number.isFinite(ms)) ms = Number.NaN;
    else if (name === 'from') ms = zonedDayStart(value, timeZone);
    else ms = zonedDayStart(new Date(ms + 86_400_000).toISOString().slice(0, 10), timeZone) - 1000;
  } else if (DATE_TIME.test(value)) {
    ms = Date.parse(value);
  } else {
    throw new SearchQueryError(
      `${name} must be a date (2025-03-12) or a date-time (2025-03-12T16:54:56Z)`,
      'date_invalid',
      { field: name },
    );
  }
  if (!Number.isFinite(ms))
    throw new SearchQueryError(`${name} is not a real date: ${value.slice(0, 40)}`, 'date_unreal', {
      field: name,
    });
  return Math.floor(ms / 1000);
}

export interface TicketFilter {
  filters: string[];
  nameQuery: string | null;
}

export function ticketFilter(
  tenantId: string,
  query: TicketQuery,
  mode: TenantFilterMode = 'key',
): TicketFilter {
  if (!isTenantId(tenantId)) throw new SearchQueryError('invalid tenant', 'tenant_invalid');
  const filters = [tenantFilter(tenantId, mode)];
  if (query.phone !== undefined) {
    const digits = phoneDigits(query.phone);
    const narrowed = Boolean(query.from || query.to || query.name?.trim());
    if (digits.length < MIN_PHONE_DIGITS && digits.length >= MIN_PHONE_TAIL_DIGITS && narrowed) {
      // "The one ending in 4321" last week, or named Ana: the last four digits are enough there.
      filters.push(`phones:=${phoneTailToken(digits)}`);
    } else if (digits.length < MIN_PHONE_DIGITS) {
      throw new SearchQueryError(
        `phone needs at least ${MIN_PHONE_DIGITS} digits, e.g. 98765-4321`,
        'phone_too_short',
        { min: MIN_PHONE_DIGITS },
      );
    } else {
      const variants = phoneQueryVariants(digits.slice(-15)).map((v) => v.slice(-15));
      filters.push(variants.length === 1 ? `phones:=${variants[0]}` : `phones:=[${variants.join(',')}]`);
    }
  }
  if (query.ticket !== undefined) {
    const ticket = query.ticket.trim().replace(/^#/, '');
    if (UUID.test(ticket)) filters.push(`ticket_id:=${ticket.toLowerCase()}`);
    else if (/^\d{1,9}$/.test(ticket)) filters.push(`sequential_id:=${Number(ticket)}`);
    else
      throw new SearchQueryError(
        'ticket must be a ticket id (UUID) or its sequential number, e.g. 1042',
        'ticket_invalid',
      );
  }
  for (const field of FACET_FIELDS) {
    const value = query[field];
    if (value === undefined) continue;
    const filter = facetFilter(field, value);
    if (!filter)
      throw new SearchQueryError(`${field} is not a value to filter by`, 'facet_invalid', { field });
    filters.push(filter);
  }
  const from = query.from === undefined ? undefined : parseDateBound('from', query.from, query.timeZone);
  const to = query.to === undefined ? undefined : parseDateBound('to', query.to, query.timeZone);
  if (from !== undefined && to !== undefined && from > to)
    throw new SearchQueryError('from is after to', 'date_range_inverted');
  if (from !== undefined) filters.push(`closed_at:>=${from}`);
  if (to !== undefined) filters.push(`closed_at:<=${to}`);
  for (const kind of new Set(query.has ?? [])) {
    if (!MEDIA_KIND_FILTERS.includes(kind))
      throw new SearchQueryError(`has must be one of ${MEDIA_KIND_FILTERS.join(', ')}`, 'has_invalid');
    filters.push(`media_kinds:=${kind}`);
  }
  const name = query.name?.trim();
  return { filters, nameQuery: name ? name : null };
}
