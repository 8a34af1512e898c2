import type { Session } from '$lib/types';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = async ({ fetch, locals, depends }) => {
  depends('app:session');
  let session: Session | null = null;
  try {
    const res = await fetch('/v1/session', { headers: { accept: 'application/json' } });
    if (res.ok) session = (await res.json()) as Session;
  } catch {
    session = null;
  }
  return { locale: locals.locale, session };
};
