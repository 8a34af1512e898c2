import { apiGet } from '$lib/server/api';
import type { SearchResult } from '$lib/types';
import type { PageServerLoad } from './$types';

const FIELDS = ['name', 'phone', 'ticket', 'from', 'to', 'q', 'has'] as const;
const PER_PAGE = 20;

export const load: PageServerLoad = async (event) => {
  const params = new URLSearchParams();
  const form: Record<string, string> = {};
  for (const field of FIELDS) {
    const value = event.url.searchParams.get(field)?.trim() ?? '';
    form[field] = value;
    if (value) params.set(field, value);
  }
  const page = Math.max(
    1,
    Math.min(1000, Number.parseInt(event.url.searchParams.get('page') ?? '1', 10) || 1),
  );
  params.set('page', String(page));
  params.set('perPage', String(PER_PAGE));
  const filtered = FIELDS.some((f) => form[f]);
  const res = await apiGet<SearchResult>(event, `/v1/tickets?${params}`);
  if (res.ok) return { form, filtered, result: res.data, problem: null };
  return {
    form,
    filtered,
    result: null,
    problem: {
      kind: res.status === 400 ? ('invalid' as const) : ('unavailable' as const),
      message: res.message,
    },
  };
};
