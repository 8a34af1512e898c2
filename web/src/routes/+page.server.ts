import type { ApiErrorBody } from '$lib/codes';
import { formDate, parseFormDate } from '$lib/dates';
import { apiGet } from '$lib/server/api';
import type { SearchResult } from '$lib/types';
import type { PageServerLoad } from './$types';

const FIELDS = [
  'name',
  'phone',
  'ticket',
  'from',
  'to',
  'q',
  'has',
  'channel',
  'agent',
  'team',
  'tag',
  'status',
  'sort',
  // "Search all dates" (textScope=all): in the page URL, so such a search can be shared.
  'textScope',
] as const;
/** Asking for an order or for every date is not a filter: "N tickets found" is for searches that narrow. */
const NOT_FILTERS = new Set<string>(['sort', 'textScope']);
const DATE_FIELDS = new Set<string>(['from', 'to']);
const PER_PAGE = 20;

type Problem = { kind: 'invalid' | 'unavailable'; status: number; body: ApiErrorBody | null };

export const load: PageServerLoad = async (event) => {
  const params = new URLSearchParams();
  const form: Record<string, string> = {};
  let problem: Problem | null = null;
  for (const field of FIELDS) {
    let value = event.url.searchParams.get(field)?.trim() ?? '';
    if (value && DATE_FIELDS.has(field)) {
      // Typed day first (dd/mm/aaaa); the API takes ISO days.
      const iso = parseFormDate(value);
      if (iso) {
        params.set(field, iso);
        value = formDate(iso);
      } else
        problem ??= {
          kind: 'invalid',
          status: 400,
          body: { error: 'bad_request', reason: 'date_invalid', params: { field } },
        };
    } else if (value) params.set(field, value);
    form[field] = value;
  }
  const page = Math.max(
    1,
    Math.min(1000, Number.parseInt(event.url.searchParams.get('page') ?? '1', 10) || 1),
  );
  params.set('page', String(page));
  params.set('perPage', String(PER_PAGE));
  const filtered = FIELDS.some((f) => form[f] && !NOT_FILTERS.has(f));
  if (problem) return { form, filtered, result: null, problem };
  const res = await apiGet<SearchResult>(event, `/v1/tickets?${params}`);
  if (res.ok) return { form, filtered, result: res.data, problem: null };
  return {
    form,
    filtered,
    result: null,
    problem: {
      kind: res.status === 400 ? ('invalid' as const) : ('unavailable' as const),
      status: res.status,
      body: res.body,
    },
  };
};
