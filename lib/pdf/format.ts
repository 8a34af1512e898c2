import { agentEmailOf } from '../blip/normalize-resources';
import { LOCALE, type PdfLabel, type PdfLabels, type PdfLang } from './i18n';

/**
 * Pure formatting for the PDF and its file name: dates in the tenant's zone with their UTC offset,
 * durations, sizes, media kinds, channels, statuses and people in words. Intl only (Node's ICU):
 * no date library.
 */

export const DEFAULT_TIME_ZONE = 'America/Sao_Paulo';

/** The zone's canonical IANA name (`america/sao_paulo` → `America/Sao_Paulo`), or null if Intl does not know it. */
export function canonicalTimeZone(zone: string): string | null {
  const z = zone.trim();
  if (z === '' || z.length > 64 || !/^[A-Za-z0-9_+\-/]+$/.test(z)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: z }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

type Parts = Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'offset', string>;

const formatters = new Map<string, Intl.DateTimeFormat>();
function partsOf(date: Date, timeZone: string): Parts {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
    formatters.set(timeZone, f);
  }
  const out: Record<string, string> = {};
  for (const p of f.formatToParts(date)) out[p.type === 'timeZoneName' ? 'offset' : p.type] = p.value;
  return out as Parts;
}

/** `GMT-03:00` → `UTC−03:00` (with a real minus sign); `GMT` → `UTC+00:00`. */
export function utcOffset(date: Date, timeZone: string): string {
  const raw = partsOf(date, timeZone).offset;
  const m = /([+-])(\d{2}):?(\d{2})?/.exec(raw);
  if (!m) return 'UTC+00:00';
  return `UTC${m[1] === '-' ? '\u2212' : '+'}${m[2]}:${m[3] ?? '00'}`;
}

const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * `12/03/2025 14:05 (UTC−03:00)` (pt-BR, es) or `12 Mar 2025 14:05 (UTC−03:00)` (en): day first in
 * every language, so a date is never read month-first by mistake.
 */
export function formatDateTime(
  iso: string | Date | null,
  timeZone: string,
  lang: PdfLang,
  opts: { offset?: boolean; seconds?: boolean } = {},
): string {
  if (iso === null) return '—';
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(date.getTime())) return '—';
  const p = partsOf(date, timeZone);
  const day =
    lang === 'en' ? `${p.day} ${MONTHS_EN[Number(p.month) - 1]} ${p.year}` : `${p.day}/${p.month}/${p.year}`;
  const time = `${p.hour}:${p.minute}${opts.seconds ? `:${p.second}` : ''}`;
  return `${day} ${time}${opts.offset === false ? '' : ` (${utcOffset(date, timeZone)})`}`;
}

/** The calendar day in the zone, `2025-03-12`, for file names. */
export function dayInZone(iso: string | Date, timeZone: string): string {
  const p = partsOf(typeof iso === 'string' ? new Date(iso) : iso, timeZone);
  return `${p.year}-${p.month}-${p.day}`;
}

/** `3 h 02 min`, `45 min`, `2 d 4 h`, `< 1 min`; null for a missing or negative span. */
export function formatDuration(fromIso: string | null, toIso: string | null): string | null {
  if (!fromIso || !toIso) return null;
  const ms = Date.parse(toIso) - Date.parse(fromIso);
  if (!Number.isFinite(ms) || ms < 0) return null;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return '< 1 min';
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return `${d} d${h > 0 ? ` ${h} h` : ''}`;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m} min`;
}

/** `1,2 MB` (pt-BR, es) or `1.2 MB` (en). */
export function formatSize(n: number | null | undefined, lang: PdfLang): string {
  if (n === null || n === undefined || !Number.isFinite(n) || n < 0) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const number = new Intl.NumberFormat(LOCALE[lang], {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  }).format(v);
  return `${number} ${units[i]}`;
}

/** A media type in words: the label key for `application/pdf`, `audio/ogg`, … (the extension when the type says nothing). */
export function mediaKind(contentType: string | null, title: string | null = null): PdfLabel {
  const t = (contentType ?? '').toLowerCase().split(';')[0]?.trim() ?? '';
  const ext = /\.([a-z0-9]{1,5})$/i.exec(title ?? '')?.[1]?.toLowerCase() ?? '';
  if (t.startsWith('image/')) return 'kindImage';
  if (t.startsWith('audio/')) return 'kindAudio';
  if (t.startsWith('video/')) return 'kindVideo';
  if (t === 'application/pdf' || ext === 'pdf') return 'kindPdf';
  if (/spreadsheet|excel|csv/.test(t) || ['xls', 'xlsx', 'ods', 'csv'].includes(ext))
    return 'kindSpreadsheet';
  if (/presentation|powerpoint/.test(t) || ['ppt', 'pptx', 'odp'].includes(ext)) return 'kindPresentation';
  if (/word|opendocument\.text|rtf/.test(t) || ['doc', 'docx', 'odt', 'rtf'].includes(ext))
    return 'kindDocument';
  if (/zip|compressed|x-tar|gzip|x-7z|x-rar/.test(t) || ['zip', 'rar', '7z', 'gz', 'tar'].includes(ext))
    return 'kindArchive';
  if (t.startsWith('text/') || ext === 'txt') return 'kindText';
  if (['jpg', 'jpeg', 'png', 'gif', 'webp', 'heic'].includes(ext)) return 'kindImage';
  if (['mp3', 'ogg', 'opus', 'm4a', 'wav', 'aac'].includes(ext)) return 'kindAudio';
  if (['mp4', 'mov', 'webm', '3gp', 'avi'].includes(ext)) return 'kindVideo';
  return 'kindFile';
}

const CHANNEL_LABEL: Record<string, PdfLabel> = {
  WhatsApp: 'channelWhatsApp',
  Instagram: 'channelInstagram',
  Messenger: 'channelMessenger',
  Telegram: 'channelTelegram',
  BlipChat: 'channelBlipChat',
  Email: 'channelEmail',
  Teams: 'channelTeams',
  SMS: 'channelSMS',
};

export function channelInWords(channel: string | null, t: PdfLabels): string {
  return t[CHANNEL_LABEL[channel ?? ''] ?? 'channelOther'];
}

const STATUS_LABEL: Record<string, PdfLabel> = {
  Open: 'statusOpen',
  Waiting: 'statusWaiting',
  Assigned: 'statusAssigned',
  ClosedAttendant: 'statusClosedAttendant',
  ClosedClient: 'statusClosedClient',
  ClosedClientInactivity: 'statusClosedClientInactivity',
  ClosedAttendantInactivity: 'statusClosedAttendantInactivity',
  Transferred: 'statusTransferred',
};

/** Blip's status in words; a status Blip adds later reads as closed / not closed, never raw. */
export function statusInWords(status: string | null, closedAt: string | null, t: PdfLabels): string {
  const key = STATUS_LABEL[status ?? ''];
  if (key) return t[key];
  return closedAt ? t.statusClosed : t.statusNotClosed;
}

/**
 * A Blip Desk agent identity as the person it names: `mariana.lopez%40loja.com.mx@blip.ai` →
 * `mariana.lopez@loja.com.mx`. Anything else is shown decoded when it decodes, as given otherwise.
 */
export function agentName(identity: string | null): string | null {
  if (!identity) return null;
  const email = agentEmailOf(identity);
  if (email) return email;
  try {
    return decodeURIComponent(identity);
  } catch {
    return identity;
  }
}

export type Role = 'customer' | 'agent' | 'bot' | 'system';

export interface People {
  /** Every identity the customer is known by on this ticket (customer, contact, router originator). */
  customerIdentities: Array<string | null>;
  customerName: string;
  botIdentity: string;
  botName: string;
}

const bare = (identity: string) => identity.split('/')[0]?.toLowerCase() ?? '';

/** Who an identity is, in role and name (used for "closed by" and message senders). */
export function personOf(
  identity: string | null,
  people: People,
  hint?: Role,
): { role: Role; name: string | null } {
  if (!identity) return { role: hint ?? 'system', name: null };
  const id = bare(identity);
  if (people.customerIdentities.some((c) => c && bare(c) === id))
    return { role: 'customer', name: people.customerName };
  if (/@blip\.ai$/i.test(id) || hint === 'agent') return { role: 'agent', name: agentName(identity) };
  if (id === bare(people.botIdentity) || hint === 'bot' || /@msging\.net$/.test(id))
    return { role: 'bot', name: people.botName };
  if (hint === 'customer') return { role: 'customer', name: people.customerName };
  return { role: 'system', name: null };
}

const ROLE_LABEL: Record<Role, PdfLabel> = {
  customer: 'roleCustomer',
  agent: 'roleAgent',
  bot: 'roleBot',
  system: 'roleSystem',
};

/** `Rafael Nogueira (Customer)`, `mariana.lopez@loja.com.mx (Agent)`, `System`. */
export function personInWords(p: { role: Role; name: string | null }, t: PdfLabels): string {
  const role = t[ROLE_LABEL[p.role]];
  return p.name && p.role !== 'system' ? `${p.name} (${role})` : role;
}

/** An ASCII slug of a name for file names: `Rafael Nogueira` → `rafael-nogueira`; `fallback` when nothing is left. */
export function slug(name: string | null | undefined, fallback = 'contact', max = 40): string {
  const s = (name ?? '')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const cut = s.length > max ? s.slice(0, max).replace(/-[^-]*$/, '') || s.slice(0, max) : s;
  return cut.replace(/-+$/, '') || fallback;
}

/**
 * The name people download the PDF as: `ticket-1044-rafael-nogueira-2025-03-12.pdf`, or for a
 * contact `contact-rafael-nogueira-2025-03-01-2025-03-31.pdf` (days in the tenant's zone).
 */
export function exportFileName(
  input:
    | {
        kind: 'ticket';
        sequentialId: number | null;
        contactName: string | null;
        closedAt: string | null;
        timeZone: string;
      }
    | {
        kind: 'contact';
        contactName: string | null;
        from: string | null;
        to: string | null;
        timeZone: string;
      },
): string {
  const who = slug(input.contactName);
  if (input.kind === 'ticket') {
    const parts = ['ticket', input.sequentialId === null ? null : String(input.sequentialId), who];
    if (input.closedAt) parts.push(dayInZone(input.closedAt, input.timeZone));
    return `${parts.filter(Boolean).join('-')}.pdf`;
  }
  const days = [
    ...new Set(
      [input.from, input.to].filter((d): d is string => Boolean(d)).map((d) => dayInZone(d, input.timeZone)),
    ),
  ];
  return `${['contact', who, ...days].join('-')}.pdf`;
}
