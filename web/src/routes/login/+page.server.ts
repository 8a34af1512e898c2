import { redirect } from '@sveltejs/kit';
import { env } from '$env/dynamic/private';
import { portalTiming } from '$lib/server/portal-timing';
import type { PageServerLoad } from './$types';

/** Only same-site paths are followed after login. */
const safeNext = (next: string | null): string =>
  next?.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';

export const load: PageServerLoad = async ({ parent, url }) => {
  const { session } = await parent();
  const next = safeNext(url.searchParams.get('next'));
  if (session && url.searchParams.get('switch') === null) redirect(303, next);
  return { next, portal: portalTiming(env) };
};
