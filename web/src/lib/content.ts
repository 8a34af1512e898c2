import type { Locale, Translate } from './i18n';
import type { Media } from './types';

export interface ContentContext {
  media: Map<string, Media>;
  t: Translate;
  locale: Locale;
  onImage: (url: string, alt: string) => void;
  /** The option the customer picked after a menu, if any. */
  chosen?: string | null;
  /** A fresh signed link for one of this message's media (links in a ticket read expire). */
  relink?: (ordinal: number) => Promise<string | null>;
}

/** GET /v1/tickets/:ticketId/messages/:messageId/media/:ordinal → a fresh signed URL, or null. */
export async function freshMediaUrl(
  ticketId: string,
  messageId: string,
  ordinal: number,
): Promise<string | null> {
  try {
    const res = await fetch(
      `/v1/tickets/${encodeURIComponent(ticketId)}/messages/${encodeURIComponent(messageId)}/media/${ordinal}`,
      { credentials: 'same-origin', headers: { accept: 'application/json' } },
    );
    if (!res.ok) return null;
    const body = (await res.json()) as { url?: unknown };
    return typeof body.url === 'string' ? body.url : null;
  } catch {
    return null;
  }
}

/** Helpers for Blip content (docs/blip-api.md §6). Everything returned here is rendered as text by Svelte. */
export const T = {
  text: 'text/plain',
  mediaLink: 'application/vnd.lime.media-link+json',
  webLink: 'application/vnd.lime.web-link+json',
  location: 'application/vnd.lime.location+json',
  contact: 'application/vnd.lime.contact+json',
  select: 'application/vnd.lime.select+json',
  documentSelect: 'application/vnd.lime.document-select+json',
  collection: 'application/vnd.lime.collection+json',
  container: 'application/vnd.lime.container+json',
  reply: 'application/vnd.lime.reply+json',
  reaction: 'application/vnd.lime.reaction+json',
  json: 'application/json',
  chatstate: 'application/vnd.lime.chatstate+json',
  redirect: 'application/vnd.lime.redirect+json',
  ticket: 'application/vnd.iris.ticket+json',
} as const;

export type JsonObject = Record<string, unknown>;
export const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
export const baseType = (type: unknown): string => str(type).split(';')[0]?.trim().toLowerCase() ?? '';

/** An http(s) URL to show as a link, or null (javascript:, data:, file:, relative…: text only). */
export function safeHttpUrl(value: unknown): string | null {
  const raw = str(value).trim();
  if (!/^https?:\/\//i.test(raw)) return null;
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * The archive numbers a message's own media links (not those inside a quoted message) by first
 * appearance while walking the content (lib/blip/content.ts); this mirrors that walk so a nested
 * media-link finds its archived copy.
 */
export function mediaByUri(type: unknown, content: unknown, media: Media[] = []): Map<string, Media> {
  const seen = new Set<string>();
  const own: string[] = [];
  const walk = (t: unknown, value: unknown, quoted: boolean, depth: number): void => {
    if (depth > 12) return;
    switch (baseType(t)) {
      case T.mediaLink: {
        const uri = isObject(value) ? str(value.uri) : '';
        if (uri && !seen.has(uri)) {
          seen.add(uri);
          if (!quoted) own.push(uri);
        }
        return;
      }
      case T.documentSelect:
        if (!isObject(value)) return;
        if (isObject(value.header)) walk(value.header.type, value.header.value, quoted, depth + 1);
        if (Array.isArray(value.options))
          for (const o of value.options)
            if (isObject(o) && isObject(o.label)) walk(o.label.type, o.label.value, quoted, depth + 1);
        return;
      case T.collection: {
        if (!isObject(value) || !Array.isArray(value.items)) return;
        const itemType = str(value.itemType);
        const container = baseType(itemType) === T.container || itemType === '';
        for (const item of value.items) {
          if (container && isObject(item)) walk(item.type, item.value, quoted, depth + 1);
          else walk(itemType, item, quoted, depth + 1);
        }
        return;
      }
      case T.container:
        if (isObject(value)) walk(value.type, value.value, quoted, depth + 1);
        return;
      case T.reply:
        if (!isObject(value)) return;
        if (isObject(value.replied)) walk(value.replied.type, value.replied.value, quoted, depth + 1);
        if (isObject(value.inReplyTo)) walk(value.inReplyTo.type, value.inReplyTo.value, true, depth + 1);
        return;
      case T.reaction:
        if (isObject(value) && isObject(value.inReactionTo))
          walk(value.inReactionTo.type, value.inReactionTo.value, true, depth + 1);
        return;
      case T.ticket:
        if (isObject(value) && isObject(value.customerInput))
          walk(value.customerInput.type, value.customerInput.value, quoted, depth + 1);
        return;
      default:
        return;
    }
  };
  walk(type, content, false, 0);
  const map = new Map<string, Media>();
  for (const m of media) {
    const uri = m.ordinal === undefined ? undefined : own[m.ordinal];
    if (uri !== undefined) map.set(uri, m);
  }
  return map;
}

export function emoji(values: unknown): string {
  if (!Array.isArray(values)) return '';
  return values
    .filter((v): v is number => Number.isInteger(v) && v >= 0 && v <= 0x10ffff)
    .map((v) => String.fromCodePoint(v))
    .join('');
}

export type MediaKind = 'image' | 'audio' | 'video' | 'document';
export function mediaKind(contentType: string | null | undefined): MediaKind {
  const t = (contentType ?? '').toLowerCase();
  if (/^image\/(jpeg|jpg|png|gif|webp|bmp|svg\+xml|avif)$/.test(t))
    return t === 'image/svg+xml' ? 'document' : 'image';
  if (t.startsWith('audio/')) return 'audio';
  if (t.startsWith('video/')) return 'video';
  return 'document';
}

/**
 * The API's display text of a message, when the screen falls back on it: the API writes
 * "unsupported content (<type>)" for contents it cannot read, an English line with a code in it
 * (issue 15). The screen's own translated label already says so; the line adds nothing.
 */
export function fallbackText(text: string | null | undefined): string {
  const s = (text ?? '').trim();
  return /^unsupported content \([^)]*\)$/.test(s) ? '' : s;
}
