/**
 * Search the way agents talk (issue 15), kept apart from query.ts and ticket-search.ts so other
 * search changes merge cleanly: days in the tenant's time zone, phone numbers in every national
 * shape, the last digits of a phone with a date or a name, and filters with counts (facets).
 */

/** Offset of `timeZone` from UTC at `epochMs`, in minutes (São Paulo: -180). */
export function zoneOffsetMinutes(timeZone: string, epochMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(epochMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return Math.round((asUtc - Math.floor(epochMs / 1000) * 1000) / 60_000);
}

/**
 * Epoch ms of 00:00 on `day` (yyyy-mm-dd, already checked) in `timeZone`. Two passes, so a day
 * that starts at a daylight-saving change still lands on its first instant.
 */
export function zonedDayStart(day: string, timeZone: string): number {
  const utcMidnight = Date.parse(`${day}T00:00:00Z`);
  let guess = utcMidnight - zoneOffsetMinutes(timeZone, utcMidnight) * 60_000;
  guess = utcMidnight - zoneOffsetMinutes(timeZone, guess) * 60_000;
  return guess;
}

/** Digits to search for beyond the typed ones: the same number as the other national shapes write it. */
export function phoneQueryVariants(digits: string): string[] {
  const out = new Set<string>([digits]);
  const add = (v: string) => {
    if (v.length >= 8) out.add(v);
  };
  // Brazil: the mobile 9th digit, present or absent (WhatsApp ids of older numbers lack it).
  //   55 AA 9XXXXXXXX (13) <-> 55 AA XXXXXXXX (12); AA 9XXXXXXXX (11) <-> AA XXXXXXXX (10).
  let m = /^55(\d{2})9(\d{8})$/.exec(digits);
  if (m) add(`55${m[1]}${m[2]}`);
  m = /^55(\d{2})([6-9]\d{7})$/.exec(digits);
  if (m) add(`55${m[1]}9${m[2]}`);
  m = /^([1-9]{2})9(\d{8})$/.exec(digits);
  if (m) add(`${m[1]}${m[2]}`);
  m = /^([1-9]{2})([6-9]\d{7})$/.exec(digits);
  if (m) add(`${m[1]}9${m[2]}`);
  // Brazil: 9XXXX-XXXX without the area code (9 digits) also as the 8 digits after the 9.
  m = /^9(\d{8})$/.exec(digits);
  if (m?.[1]) add(m[1]);
  // Mexico: mobiles were written +52 1 AAA…; WhatsApp ids carry 521 or 52.
  m = /^521(\d{10})$/.exec(digits);
  if (m) add(`52${m[1]}`);
  m = /^52(\d{10})$/.exec(digits);
  if (m) add(`521${m[1]}`);
  // Argentina: mobiles are dialled +54 9 AA…; ids carry 549 or 54.
  m = /^549(\d{10})$/.exec(digits);
  if (m) add(`54${m[1]}`);
  m = /^54(\d{10})$/.exec(digits);
  if (m) add(`549${m[1]}`);
  return [...out];
}

/** Fewest digits of a phone accepted alongside a date range or a name ("the one ending in 4321"). */
export const MIN_PHONE_TAIL_DIGITS = 4;
/** The indexed token for a phone's last four digits (phones:=tail4321); see phoneTailToken. */
export const phoneTailToken = (digits: string) => `tail${digits.slice(-MIN_PHONE_TAIL_DIGITS)}`;

/** Filters an agent picks from the counts beside the results. */
export const FACET_FIELDS = ['channel', 'agent', 'team', 'tag', 'status'] as const;
export type FacetField = (typeof FACET_FIELDS)[number];

/**
 * The document field behind each filter: a ticket has many tags (`tags`, string[]) and the agent
 * picks one (`tag`). `tags` and `status` came later (issue 15): collections built before them have
 * neither field until `ticket-vault reindex` (see LATE_FACET_FIELDS).
 */
export const FACET_SOURCE: Record<FacetField, string> = {
  channel: 'channel',
  agent: 'agent',
  team: 'team',
  tag: 'tags',
  status: 'status',
};

/** Document fields older collections may lack: counted when present, filtering on them needs a reindex. */
export const LATE_FACET_FIELDS = ['tags', 'status'] as const;

/** Typesense's answer when a collection lacks a field a search names (`…named \`tags\`…`). */
export function missingLateField(error: string | undefined): boolean {
  return typeof error === 'string' && /`(tags|status)`/.test(error);
}

export interface FacetCount {
  value: string;
  count: number;
}
export type Facets = Record<FacetField, FacetCount[]>;

/**
 * `field:=`value`` for a facet value the agent picked. The value comes from the user, so it is
 * refused unless it is plain text without backticks or filter syntax Typesense would read.
 */
export function facetFilter(field: FacetField, value: string): string | null {
  const v = value.trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (!v || v.length > 200 || /[`\\\u0000-\u001f]/.test(v)) return null;
  return `${FACET_SOURCE[field]}:=\`${v}\``;
}

/** Typesense's facet_counts → our Facets (only the fields we asked for, top values first). */
export function facetsOf(
  counts: Array<{ field_name: string; counts: Array<{ value: string; count: number }> }> | undefined,
): Facets {
  const out: Facets = { channel: [], agent: [], team: [], tag: [], status: [] };
  for (const f of counts ?? []) {
    const field = FACET_FIELDS.find((k) => FACET_SOURCE[k] === f.field_name);
    if (field)
      out[field] = f.counts.filter((c) => c.value !== '').map((c) => ({ value: c.value, count: c.count }));
  }
  return out;
}

/** How results are ordered: newest closed first (default), or best match first. */
export const SORT_ORDERS = ['closed', 'relevance'] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];
