import { getContext, setContext } from 'svelte';
import type { Locale } from './i18n';

/**
 * Dates are shown in the tenant's time zone (the session's `timeZone`, default America/Sao_Paulo),
 * the one its PDFs and its searches use, whatever the reader's computer says. The layout puts it
 * in the Svelte context; components read it with displayZone() while they initialise.
 */
const ZONE = Symbol('tenant-time-zone');
export const DEFAULT_ZONE = 'America/Sao_Paulo';
export function provideDisplayZone(get: () => string | undefined): void {
  setContext(ZONE, get);
}
export function displayZone(): string | undefined {
  const get = getContext<(() => string | undefined) | undefined>(ZONE);
  return get?.();
}

/** IANA spells cities without accents; the ones our tenants use, as their people write them. */
const CITY_NAMES: Record<string, string> = {
  'America/Sao_Paulo': 'São Paulo',
  'America/Bogota': 'Bogotá',
  'America/Mexico_City': 'Ciudad de México',
  'America/Argentina/Buenos_Aires': 'Buenos Aires',
};

/** "São Paulo" and "UTC−03:00" for a zone, in the reader's language where Intl knows the city. */
export function zoneLabel(
  timeZone: string,
  locale: Locale,
  at = new Date(),
): { zone: string; offset: string } {
  const city = CITY_NAMES[timeZone] ?? timeZone.split('/').pop()?.replace(/_/g, ' ') ?? timeZone;
  let offset = 'UTC';
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
      .formatToParts(at)
      .find((p) => p.type === 'timeZoneName')?.value;
    offset = (part ?? 'GMT').replace('GMT', 'UTC').replace('-', '−') || 'UTC';
    if (offset === 'UTC') offset = 'UTC±00:00';
  } catch {
    return { zone: city, offset: '' };
  }
  void locale;
  return { zone: city, offset };
}

const fmtCache = new Map<string, Intl.DateTimeFormat>();
function fmt(locale: Locale, options: Intl.DateTimeFormatOptions, timeZone?: string): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone ?? ''}|${JSON.stringify(options)}`;
  let f = fmtCache.get(key);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat(locale, { ...options, ...(timeZone ? { timeZone } : {}) });
    } catch {
      f = new Intl.DateTimeFormat(locale, options);
    }
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
export function dateTime(locale: Locale, iso: string | null | undefined, timeZone?: string): string {
  const d = valid(iso);
  return d ? fmt(locale, { dateStyle: 'short', timeStyle: 'short' }, timeZone).format(d) : '—';
}

export function time(locale: Locale, iso: string | null | undefined, timeZone?: string): string {
  const d = valid(iso);
  return d ? fmt(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' }, timeZone).format(d) : '';
}

export function day(locale: Locale, iso: string | null | undefined, timeZone?: string): string {
  const d = valid(iso);
  return d
    ? fmt(locale, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }, timeZone).format(d)
    : '';
}

/** A key that changes when the calendar day changes (in `timeZone`, else local time). */
export function dayKey(iso: string | null | undefined, timeZone?: string): string {
  const d = valid(iso);
  if (!d) return '';
  if (!timeZone) return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
  return fmt('en', { year: 'numeric', month: '2-digit', day: '2-digit' }, timeZone).format(d);
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
      // A broken escape elsewhere still leaves the e-mail readable: never show `%40`.
      return m[1].replace(/%40/gi, '@');
    }
  }
  return identity;
}

/**
 * Who wrote an agent message: its own agent when Blip said (newer messages), else, inside the
 * ticket's window, the ticket's agent (a ticket has one agent; a transfer opens a new ticket).
 * Outside the window it could be another ticket's agent, so it stays unnamed (null).
 */
export function agentOf(
  sender: string | null | undefined,
  inTicketWindow: boolean,
  ticketAgent: string | null | undefined,
): string | null {
  if (sender) return person(sender);
  if (inTicketWindow && ticketAgent) return person(ticketAgent);
  return null;
}
