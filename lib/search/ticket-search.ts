import { randomBytes } from 'node:crypto';
import type { SearchClient } from './client';
import { SearchQueryError, type TicketQuery, ticketFilter } from './query';
import { textWindowSince } from './recent-messages';
import type { CollectionNames, MediaSource } from './schema';
import {
  FACET_FIELDS,
  FACET_SOURCE,
  type Facets,
  facetsOf,
  LATE_FACET_FIELDS,
  missingLateField,
} from './search-extras';
import { type TenantFilterMode, tenantFilter, withTenantFilter } from './tenant-scope';

/**
 * Search tickets for one tenant: fields, dates and free text inside messages; newest first, or
 * best match first (`sort: 'relevance'`).
 */
export interface TicketHit {
  ticketId: string;
  sequentialId: number | null;
  contact: { identity: string | null; name: string | null; phone: string | null };
  channel: string | null;
  agent: string | null;
  team: string | null;
  /** The ticket's tags; [] also for documents indexed before tags were (until `reindex`). */
  tags: string[];
  /** Blip's status code (ClosedClient, Transferred, …); null in documents indexed before it was. */
  status: string | null;
  openedAt: string | null;
  closedAt: string | null;
  messageCount: number;
  mediaCount: number;
  /** A snippet of the matching message (free text) or name, cut into plain-text segments. */
  highlight: HighlightSegment[] | null;
  /** Position of the message the free text matched, to open the ticket there (null otherwise). */
  hitPosition: number | null;
  /**
   * The free text was found in the text read from a media file (machine-read, issue 18), not in
   * what was typed: which image, or which document and page. null when found in a message's text.
   */
  foundIn: MediaSource | null;
}

/** Plain text only: the UI renders segments as text and marks the matching ones, never as HTML. */
export interface HighlightSegment {
  text: string;
  match: boolean;
}

/**
 * Typesense wraps matches in the tags we give it and does not escape the text around them, so
 * the tags are a random per-request token that message text cannot forge, turned into segments.
 */
function segments(snippet: string | undefined, tag: string): HighlightSegment[] | null {
  if (!snippet) return null;
  const out: HighlightSegment[] = [];
  for (const [i, part] of snippet.split(tag).entries()) {
    if (part) out.push({ text: part, match: i % 2 === 1 });
  }
  return out;
}

export interface TicketSearchResult {
  found: number;
  page: number;
  perPage: number;
  hits: TicketHit[];
  /**
   * Free text matched more tickets than one search narrows to (MAX_TEXT_TICKETS): only the
   * best-matching ones were considered, and the other filters (dates, name, phone) apply within
   * them; more specific words find the others.
   */
  textMatchesCapped: boolean;
  /** Counts per channel, agent, team, tag and status of every ticket the search found (all pages). */
  facets: Facets;
  /**
   * The free text was matched only against messages sent since `since` (the last `months` months:
   * no date range and not `textScope: 'all'`), so older matches are not in this answer and the UI
   * offers to search all dates. null: every date was searched (or there was no free text).
   */
  textWindow: TextWindow | null;
}

export interface TextWindow {
  /** ISO date-time: 00:00 UTC of the day `months` calendar months ago. */
  since: string;
  months: number;
}

/** Tickets a free-text search can narrow to; more matching tickets than this are cut off. */
const MAX_TEXT_TICKETS = 250;
/**
 * Up to this many matching messages, tickets are found by grouping the messages per ticket
 * (exact: up to MAX_TEXT_TICKETS distinct tickets). Grouping costs in proportion to the matches
 * — ~130 ms for two common words over 500 000 messages against ~70 ms without — so past this,
 * the tickets of the best-ranked MAX_TEXT_TICKETS messages are used, and the result says so.
 */
const GROUPED_SEARCH_MAX_MESSAGES = 20_000;

/** Free-text match sets kept per API process (each at most MAX_TEXT_TICKETS ids and snippets). */
const TEXT_CACHE_ENTRIES = 200;

type TextMatch = { highlight: HighlightSegment[] | null; foundIn: MediaSource | null };
type TextMatches = {
  snippets: Map<string, TextMatch>;
  positions: Map<string, number>;
  capped: boolean;
};

interface TicketDoc {
  tenant_id: string;
  ticket_id: string;
  sequential_id?: number;
  contact_identity?: string;
  contact_name?: string;
  contact_phone?: string;
  channel?: string;
  agent?: string;
  team?: string;
  tags?: string[];
  status?: string;
  opened_at?: number;
  closed_at?: number;
  message_count?: number;
  media_count?: number;
}

type Highlight = { field?: string; snippet?: string; snippets?: string[]; indices?: number[] };
type MessageHit = {
  document: { tenant_id: string; ticket_id: string; position?: number; media_sources?: string[] };
  highlights?: Highlight[];
};

/** The best highlight of a message hit, and the media it was read from when it is in media_text. */
function textMatch(hit: MessageHit | undefined, tag: string): TextMatch {
  const h = hit?.highlights?.[0];
  if (!h) return { highlight: null, foundIn: null };
  if (h.field !== 'media_text') return { highlight: segments(h.snippet, tag), foundIn: null };
  const index = h.indices?.[0] ?? 0;
  let foundIn: MediaSource | null = null;
  try {
    const raw = hit?.document.media_sources?.[index];
    if (raw) foundIn = JSON.parse(raw) as MediaSource;
  } catch {
    foundIn = null;
  }
  return {
    highlight: segments(h.snippets?.[0] ?? h.snippet, tag),
    foundIn: foundIn ?? { kind: 'document', name: null, page: null },
  };
}

/** Typesense's 404 for a collection (or alias) that does not exist, not for a missing field. */
const isMissingCollection = (err: unknown) =>
  (err as { httpStatus?: number })?.httpStatus === 404 &&
  !/field/.test(String((err as Error)?.message ?? ''));
/** Collections built before media_text (issue 18) answer this until `reindex` rebuilds them. */
const isMissingMediaText = (err: unknown) => /media_text/.test(String((err as Error)?.message ?? ''));

/** What a search reports besides its answer: the API turns these into a metric and a warning. */
export interface TicketSearchObserver {
  /**
   * Hits whose stored tenant_id is not exactly the searching tenant's, dropped before anything is
   * shown. Always 0 with the `tenant_key` filter; anything else is a bug or a collection from
   * before it (`legacy`) and is worth a warning.
   */
  foreignHitsDropped?(info: {
    tenantId: string;
    collection: 'tickets' | 'messages';
    count: number;
    mode: TenantFilterMode;
  }): void;
  /** The live collections predate `tenant_key`: searches use the old filter until `reindex`. */
  legacyCollections?(): void;
}

/** A failed search in a multi_search answer, with Typesense's code (isMissingTenantKey reads it). */
class TicketSearchError extends Error {
  override name = 'TicketSearchError';
  constructor(
    readonly httpStatus: number | undefined,
    detail: string,
  ) {
    super(`ticket search failed: ${httpStatus ?? '?'} ${detail}`);
  }
}

const iso = (epoch: number | undefined) => (epoch ? new Date(epoch * 1000).toISOString() : null);

/** Remembers where in a ticket its best text match is (search-extras: jump to the hit). */
function notePosition(positions: Map<string, number>, ticketId: string, position: number | undefined): void {
  if (typeof position === 'number') positions.set(ticketId, position);
}

export function createTicketSearch(
  client: SearchClient,
  names: CollectionNames,
  limits: {
    groupedSearchMaxMessages?: number;
    textCacheMs?: number;
    textCacheEntries?: number;
    /** SEARCH_TEXT_DEFAULT_MONTHS: free text without a date range searches these recent months; 0: none. */
    textWindowMonths?: number;
    /** The clock the window is measured from (tests). */
    now?: () => Date;
  } = {},
  observer: TicketSearchObserver = {},
) {
  const textWindowMonths = limits.textWindowMonths ?? 0;
  const now = limits.now ?? (() => new Date());
  const groupedSearchMaxMessages = limits.groupedSearchMaxMessages ?? GROUPED_SEARCH_MAX_MESSAGES;
  const textCacheMs = limits.textCacheMs ?? 0;
  const textCacheEntries = limits.textCacheEntries ?? TEXT_CACHE_ENTRIES;
  /**
   * Message-text matches by tenant, filter mode, window and words, for `textCacheMs`: the next page of the
   * same search, the same words with another filter, or the same words from another user of the
   * tenant skip the message query, which for common words is most of a search's time. Only ticket
   * ids and snippets are kept (never another tenant's: the key starts with the tenant); the tickets
   * query that follows is never cached, so an erased or re-filtered ticket is never shown from here.
   */
  const textCache = new Map<string, { at: number; matches: TextMatches }>();
  async function cachedTicketsMatchingText(
    tenantId: string,
    mode: TenantFilterMode,
    q: string,
    since: number | null,
    tag: string,
  ): Promise<TextMatches> {
    if (textCacheMs <= 0) return ticketsMatchingText(tenantId, mode, q, since, tag);
    const key = JSON.stringify([tenantId, mode, since, q]);
    const at = Date.now();
    const hit = textCache.get(key);
    if (hit && at - hit.at < textCacheMs) return hit.matches;
    const matches = await ticketsMatchingText(tenantId, mode, q, since, tag);
    textCache.delete(key);
    textCache.set(key, { at, matches });
    // Oldest first (insertion order): bounded memory whatever the words.
    while (textCache.size > textCacheEntries) textCache.delete(textCache.keys().next().value as string);
    return matches;
  }

  /** Defence in depth: whatever the filter let through, only the tenant's own documents stay. */
  function ownOnly<T>(
    items: T[],
    tenantOf: (item: T) => string | undefined,
    where: { tenantId: string; collection: 'tickets' | 'messages'; mode: TenantFilterMode },
  ): T[] {
    const own = items.filter((item) => tenantOf(item) === where.tenantId);
    if (own.length < items.length)
      observer.foreignHitsDropped?.({ ...where, count: items.length - own.length });
    return own;
  }

  async function searchMessages(
    tenantId: string,
    mode: TenantFilterMode,
    q: string,
    since: number | null,
    tag: string,
    grouped: boolean,
  ) {
    type Answer = {
      found: number;
      hits?: MessageHit[];
      grouped_hits?: Array<{ group_key: string[]; hits: MessageHit[] }>;
    };
    // The window reads the recent-messages collection (recent-messages.ts): its posting lists hold only
    // the window's messages (plus a few days), which is what makes the window cheaper at all.
    const recent = since !== null && Boolean(names.messagesRecent);
    const run = (queryBy: string, collection = recent ? names.messagesRecent : names.messages) =>
      client
        .collections(collection)
        .documents()
        .search({
          q,
          query_by: queryBy,
          // The window first narrows the messages to score: the tenant's messages of the recent months.
          filter_by:
            since === null
              ? tenantFilter(tenantId, mode)
              : `${tenantFilter(tenantId, mode)} && sent_at:>=${since}`,
          ...(grouped ? { group_by: 'ticket_id', group_limit: 1 } : {}),
          per_page: MAX_TEXT_TICKETS,
          // Typesense 0.24 highlights only the fields it returns: media_text must stay in the
          // answer (include_fields/exclude_fields drop its highlight), so long texts travel too.
          highlight_start_tag: tag,
          highlight_end_tag: tag,
        } as never) as unknown as Promise<Answer>;
    try {
      return await run('text,media_text');
    } catch (err) {
      // No recent collection yet (an API newer than the worker that creates it): the whole one, filtered.
      if (recent && isMissingCollection(err)) return run('text,media_text', names.messages);
      if (!isMissingMediaText(err)) throw err;
      return run('text');
    }
  }

  /** Ticket ids whose messages match `q`, with the best snippet of each. */
  async function ticketsMatchingText(
    tenantId: string,
    mode: TenantFilterMode,
    q: string,
    since: number | null,
    tag: string,
  ): Promise<TextMatches> {
    const snippets = new Map<string, TextMatch>();
    const positions = new Map<string, number>();
    const where = { tenantId, collection: 'messages' as const, mode };
    // Within the recent-months window the grouped query comes first and alone: Typesense 0.24 pays
    // the words' whole posting lists on every query whatever the filter, so a first ungrouped query
    // to count the matches would double the search (measured at 400 000 messages: 380 ms against 153
    // over all dates), while grouping the window's matches adds little (docs/performance.md).
    if (since === null) {
      const best = await searchMessages(tenantId, mode, q, since, tag, false);
      const hits = best.hits ?? [];
      if (best.found <= hits.length || best.found > groupedSearchMaxMessages) {
        // Every matching message seen, or far too many to group: the tickets of the best ones.
        for (const hit of ownOnly(hits, (h) => h.document.tenant_id, where)) {
          const id = hit.document.ticket_id;
          if (!snippets.has(id)) {
            snippets.set(id, textMatch(hit, tag));
            notePosition(positions, id, hit.document.position);
          }
        }
        return { snippets, positions, capped: best.found > hits.length };
      }
    }
    const grouped = await searchMessages(tenantId, mode, q, since, tag, true);
    for (const group of ownOnly(grouped.grouped_hits ?? [], (g) => g.hits[0]?.document.tenant_id, where)) {
      const id = group.group_key[0];
      if (id) {
        snippets.set(id, textMatch(group.hits[0], tag));
        notePosition(positions, id, group.hits[0]?.document.position);
      }
    }
    return { snippets, positions, capped: grouped.found > snippets.size };
  }

  /**
   * One search of the tickets collection. Sent through multi_search (parameters in a POST body): a
   * free-text search that matched many tickets filters on up to MAX_TEXT_TICKETS ids, which
   * overflows Typesense's 4000-character limit on GET query strings (HTTP 400, seen by users as a 500).
   */
  async function searchTickets(
    filters: string[],
    nameQuery: string | null,
    tag: string,
    facetBy: string[],
    sortBy: string,
    page: number,
    perPage: number,
  ) {
    const multi = (await client.multiSearch.perform(
      {
        searches: [
          {
            collection: names.tickets,
            q: nameQuery ?? '*',
            query_by: 'contact_name',
            filter_by: filters.join(' && '),
            sort_by: sortBy,
            facet_by: facetBy.join(','),
            max_facet_values: 20,
            num_typos: 2,
            prefix: true,
            page,
            per_page: perPage,
            highlight_start_tag: tag,
            highlight_end_tag: tag,
          },
        ],
      } as never,
      {},
    )) as unknown as {
      results: Array<{
        found: number;
        hits?: Array<{ document: TicketDoc; highlights?: Highlight[] }>;
        facet_counts?: Array<{ field_name: string; counts: Array<{ value: string; count: number }> }>;
        error?: string;
        code?: number;
      }>;
    };
    return multi.results[0];
  }

  async function searchIn(
    tenantId: string,
    query: TicketQuery,
    mode: TenantFilterMode,
  ): Promise<TicketSearchResult> {
    const { filters, nameQuery } = ticketFilter(tenantId, query, mode);
    const tag = `\u2063${randomBytes(6).toString('hex')}\u2063`;
    let snippets: Map<string, TextMatch> | null = null;
    let positions: Map<string, number> | null = null;
    let textMatchesCapped = false;
    const text = query.q?.trim();
    // Free text over the recent months unless the caller gave dates or asked for all of them
    // (issue 17); names, phones and ticket ids never read message text and are never windowed.
    const windowed =
      Boolean(text) &&
      textWindowMonths > 0 &&
      query.textScope !== 'all' &&
      query.from === undefined &&
      query.to === undefined;
    const since = windowed ? textWindowSince(now(), textWindowMonths) : null;
    const textWindow =
      since === null ? null : { since: new Date(since * 1000).toISOString(), months: textWindowMonths };
    if (text) {
      const matches = await cachedTicketsMatchingText(tenantId, mode, text, since, tag);
      snippets = matches.snippets;
      positions = matches.positions;
      textMatchesCapped = matches.capped;
      if (snippets.size === 0)
        return {
          found: 0,
          page: query.page,
          perPage: query.perPage,
          hits: [],
          textMatchesCapped,
          facets: facetsOf(undefined),
          textWindow,
        };
      filters.push(`ticket_id:[${[...snippets.keys()].join(',')}]`);
    }
    // Best match first: by the contact name's match when a name was asked, and for free text by
    // how well the best message of each ticket matched (the order ticketsMatchingText keeps), which
    // Typesense cannot sort the tickets collection by: all of them (at most MAX_TEXT_TICKETS) are
    // fetched and ordered and paged here.
    const relevance = query.sort === 'relevance';
    const byTextRank = relevance && snippets !== null;
    const sortBy =
      relevance && nameQuery && !byTextRank ? '_text_match:desc,closed_at:desc' : 'closed_at:desc';
    const facetFields = FACET_FIELDS.map((f) => FACET_SOURCE[f]);
    const run = (facetBy: string[]) =>
      searchTickets(
        filters,
        nameQuery,
        tag,
        facetBy,
        sortBy,
        byTextRank ? 1 : query.page,
        byTextRank ? MAX_TEXT_TICKETS : query.perPage,
      );
    let res = await run(facetFields);
    // Collections built before tags and status (issue 15) count neither: the other counts still come,
    // and filtering on them asks for the reindex (as media_kinds does below).
    if (res?.error !== undefined && missingLateField(res.error)) {
      if (query.tag !== undefined || query.status !== undefined)
        throw new SearchQueryError(
          'the tag and status filters need the search index rebuilt first (ticket-vault reindex)',
          'search_reindex_needed',
        );
      res = await run(facetFields.filter((f) => !(LATE_FACET_FIELDS as readonly string[]).includes(f)));
    }
    // Collections built before media_kinds (issue 18) cannot filter on it until `reindex`.
    if (res?.error !== undefined && /media_kinds/.test(res.error))
      throw new SearchQueryError(
        'the media filter needs the search index rebuilt first (ticket-vault reindex)',
        'search_reindex_needed',
      );
    if (!res || res.error !== undefined) throw new TicketSearchError(res?.code, res?.error ?? 'no result');
    const raw = res.hits ?? [];
    const own = ownOnly(raw, (h) => h.document.tenant_id, { tenantId, collection: 'tickets', mode });
    let hits = own;
    if (byTextRank && snippets) {
      const rank = new Map([...snippets.keys()].map((id, i) => [id, i]));
      const at = (id: string) => rank.get(id) ?? Number.MAX_SAFE_INTEGER;
      hits = [...own].sort((a, b) => at(a.document.ticket_id) - at(b.document.ticket_id));
      hits = hits.slice((query.page - 1) * query.perPage, query.page * query.perPage);
    }
    return {
      found: Math.max(0, res.found - (raw.length - own.length)),
      page: query.page,
      perPage: query.perPage,
      textMatchesCapped,
      facets: facetsOf(res.facet_counts),
      textWindow,
      hits: hits.map(({ document: d, highlights }) => ({
        ticketId: d.ticket_id,
        sequentialId: d.sequential_id ?? null,
        contact: {
          identity: d.contact_identity ?? null,
          name: d.contact_name ?? null,
          phone: d.contact_phone ?? null,
        },
        channel: d.channel ?? null,
        agent: d.agent ?? null,
        team: d.team ?? null,
        tags: d.tags ?? [],
        status: d.status ?? null,
        openedAt: iso(d.opened_at),
        closedAt: iso(d.closed_at),
        messageCount: d.message_count ?? 0,
        mediaCount: d.media_count ?? 0,
        highlight: snippets?.get(d.ticket_id)?.highlight ?? segments(highlights?.[0]?.snippet, tag),
        hitPosition: positions?.get(d.ticket_id) ?? null,
        foundIn: snippets?.get(d.ticket_id)?.foundIn ?? null,
      })),
    };
  }

  function search(tenantId: string, query: TicketQuery): Promise<TicketSearchResult> {
    return withTenantFilter(
      tenantId,
      (_filter, mode) => searchIn(tenantId, query, mode),
      () => observer.legacyCollections?.(),
    );
  }

  return { search };
}
