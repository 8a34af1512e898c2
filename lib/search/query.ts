import { isTenantId } from '../tenant-id';
import { MIN_PHONE_DIGITS, phoneDigits } from './phone';
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
  /** Only tickets holding media of every one of these kinds. */
  has?: MediaKindFilter[];
  page: number;
  perPage: number;
}

export const MEDIA_KIND_FILTERS = ['image', 'document', 'audio', 'video'] as const;
export type MediaKindFilter = (typeof MEDIA_KIND_FILTERS)[number];

export class SearchQueryError extends Error {
  override name = 'SearchQueryError';
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** `from`/`to` as epoch seconds; a bare date means the start (from) or the end (to) of that UTC day. */
export function parseDateBound(name: 'from' | 'to', value: string): number {
  let ms: number;
  if (DATE_ONLY.test(value)) {
    ms = Date.parse(`${value}T00:00:00Z`);
    // Date.parse rolls 2025-02-30 over to March; a day that does not exist is an error.
    if (Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) !== value) ms = Number.NaN;
    if (name === 'to') ms += 86_399_000;
  } else if (DATE_TIME.test(value)) {
    ms = Date.parse(value);
  } else {
    throw new SearchQueryError(`${name} must be a date (2025-03-12) or a date-time (2025-03-12T16:54:56Z)`);
  }
  if (!Number.isFinite(ms)) throw new SearchQueryError(`${name} is not a real date: ${value.slice(0, 40)}`);
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
  if (!isTenantId(tenantId)) throw new SearchQueryError('invalid tenant');
  const filters = [tenantFilter(tenantId, mode)];
  if (query.phone !== undefined) {
    const digits = phoneDigits(query.phone);
    if (digits.length < MIN_PHONE_DIGITS) {
      throw new SearchQueryError(`phone needs at least ${MIN_PHONE_DIGITS} digits, e.g. 98765-4321`);
    }
    filters.push(`phones:=${digits.slice(-15)}`);
  }
  if (query.ticket !== undefined) {
    const ticket = query.ticket.trim().replace(/^#/, '');
    if (UUID.test(ticket)) filters.push(`ticket_id:=${ticket.toLowerCase()}`);
    else if (/^\d{1,9}$/.test(ticket)) filters.push(`sequential_id:=${Number(ticket)}`);
    else throw new SearchQueryError('ticket must be a ticket id (UUID) or its sequential number, e.g. 1042');
  }
  const from = query.from === undefined ? undefined : parseDateBound('from', query.from);
  const to = query.to === undefined ? undefined : parseDateBound('to', query.to);
  if (from !== undefined && to !== undefined && from > to) throw new SearchQueryError('from is after to');
  if (from !== undefined) filters.push(`closed_at:>=${from}`);
  if (to !== undefined) filters.push(`closed_at:<=${to}`);
  for (const kind of new Set(query.has ?? [])) {
    if (!MEDIA_KIND_FILTERS.includes(kind))
      throw new SearchQueryError(`has must be one of ${MEDIA_KIND_FILTERS.join(', ')}`);
    filters.push(`media_kinds:=${kind}`);
  }
  const name = query.name?.trim();
  return { filters, nameQuery: name ? name : null };
}
