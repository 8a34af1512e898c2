import type { Locale } from './i18n';

const fmtCache = new Map<string, Intl.DateTimeFormat>();
function fmt(locale: Locale, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let f = fmtCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, options);
    fmtCache.set(key, f);
  }
  return f;
}

const valid = (iso: string | null | undefined): Date | null => {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
};

/** Date and time as the archive saw it (the server's and the browser's time zone is the reader's). */
export function dateTime(locale: Locale, iso: string | null | undefined): string {
  const d = valid(iso);
  return d ? fmt(locale, { dateStyle: 'short', timeStyle: 'short' }).format(d) : '—';
}

export function time(locale: Locale, iso: string | null | undefined): string {
  const d = valid(iso);
  return d ? fmt(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(d) : '';
}

export function day(locale: Locale, iso: string | null | undefined): string {
  const d = valid(iso);
  return d ? fmt(locale, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(d) : '';
}

/** A key that changes when the calendar day changes (local time). */
export function dayKey(iso: string | null | undefined): string {
  const d = valid(iso);
  return d ? `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}` : '';
}

export function size(bytes: number | null | undefined, locale: Locale): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '';
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const n = new Intl.NumberFormat(locale, { maximumFractionDigits: unit === 0 ? 0 : 1 }).format(value);
  return `${n} ${units[unit]}`;
}

/**
 * Blip identities of agents look like `maria.silva%40empresa.com@blip.ai`: show the e-mail. Other
 * identities are shown as they are.
 */
export function person(identity: string | null | undefined): string {
  if (!identity) return '—';
  const m = /^(.+)@blip\.ai$/i.exec(identity);
  if (m?.[1]) {
    try {
      return decodeURIComponent(m[1]);
    } catch {
      return m[1];
    }
  }
  return identity;
}
