import { error, type RequestEvent, redirect } from '@sveltejs/kit';
import type { ApiErrorBody } from '$lib/codes';

/** Calls the read API (same origin; the session cookie is forwarded) from a server load. */
export async function apiGet<T>(
  event: Pick<RequestEvent, 'fetch' | 'url'>,
  path: string,
): Promise<
  { ok: true; data: T } | { ok: false; status: number; message: string; body: ApiErrorBody | null }
> {
  let res: Response;
  try {
    res = await event.fetch(path, { headers: { accept: 'application/json' } });
  } catch (err) {
    return { ok: false, status: 503, message: (err as Error).message, body: null };
  }
  if (res.status === 401) {
    const next = event.url.pathname + event.url.search;
    redirect(303, `/login?next=${encodeURIComponent(next)}`);
  }
  const body = (await res.json().catch(() => null)) as (T & { message?: string }) | null;
  if (!res.ok || body === null) {
    // `body` keeps the answer's codes (error, reason, params) for the page to translate.
    return {
      ok: false,
      status: res.status,
      message: body?.message ?? res.statusText,
      body: body as ApiErrorBody | null,
    };
  }
  return { ok: true, data: body };
}

/** Like apiGet, but any failure becomes the error page. */
export async function apiGetOrError<T>(event: Pick<RequestEvent, 'fetch' | 'url'>, path: string): Promise<T> {
  const res = await apiGet<T>(event, path);
  if (res.ok) return res.data;
  if (res.status === 404 || res.status === 400) error(404, { message: 'not_found', detail: res.message });
  error(res.status >= 500 ? 503 : res.status, { message: 'unavailable', detail: res.message });
}
