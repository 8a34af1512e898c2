import { mediaKind } from './format';
import { fill, type PdfLabels } from './i18n';

/**
 * What the PDF body prints for a message. The archive's display text (lib/blip/content.ts) is
 * English for non-text contents ("Ticket #1044 opened", "Location: …", "[image/jpeg]"), made for
 * search; a document for people says the same in its own language and never shows a MIME type
 * (the media line under the message says the kind in words). Returns null for what the body
 * folds away (typing indicators), which the annex counts.
 */

const TICKET = 'application/vnd.iris.ticket+json';
const CHATSTATE = 'application/vnd.lime.chatstate+json';
const MEDIA_LINK = 'application/vnd.lime.media-link+json';
const LOCATION = 'application/vnd.lime.location+json';
const REDIRECT = 'application/vnd.lime.redirect+json';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');

export function isFoldedAway(type: string): boolean {
  return type === CHATSTATE;
}

/** `[image/png]`: how the display text writes a nested file it has no caption for. */
const BRACKETED_TYPE = /\[((?:image|audio|video|application|text)\/[a-z0-9.+-]+)\]/gi;
const UNSUPPORTED = /^unsupported content \([^)]*\)$/;

/**
 * The display text's English line heads (contact cards, reactions, also when quoted in a reply
 * as `> …`) in the reader's language. Only for structured contents, never typed text.
 */
function translateLine(line: string, t: PdfLabels): string {
  const m = /^((?:> )*)(.*)$/.exec(line) as RegExpExecArray;
  const quote = m[1] ?? '';
  const rest = m[2] ?? '';
  if (rest.startsWith('Location: ')) return quote + fill(t.location, { text: rest.slice(10) });
  if (rest.startsWith('Contact card: ')) return quote + fill(t.contactCard, { text: rest.slice(14) });
  const reacted = /^Reacted (.*?)( to:)?$/.exec(rest);
  if (reacted) return quote + fill(t.reacted, { emoji: reacted[1] ?? '' }) + (reacted[2] ? ':' : '');
  const removed = /^Removed reaction( to:)?$/.exec(rest);
  if (removed) return quote + t.reactionRemoved + (removed[1] ? ':' : '');
  return line;
}

export function messageBodyText(
  m: { type: string; text: string; content: unknown },
  t: PdfLabels,
): string | null {
  const content = m.content;
  switch (m.type) {
    case CHATSTATE:
      return null;
    case TICKET: {
      if (!isObject(content)) return t.ticketEvent;
      const seq = str(content.sequentialId);
      const suffix = str(content.sequentialSuffix);
      const n = `${seq}${suffix ? `-${suffix}` : ''}`;
      if (!seq) return t.ticketEvent;
      const team = str(content.team);
      return team ? fill(t.ticketOpenedTeam, { n, team }) : fill(t.ticketOpened, { n });
    }
    case MEDIA_LINK: {
      // The file's name and kind are on the media line; only a caption is text.
      if (!isObject(content)) return '';
      const caption = str(content.text);
      return caption !== str(content.title) ? caption : '';
    }
    case LOCATION: {
      if (!isObject(content)) return fill(t.location, { text: '' }).trim();
      const lat = typeof content.latitude === 'number' ? content.latitude : null;
      const lon = typeof content.longitude === 'number' ? content.longitude : null;
      const coords = lat !== null && lon !== null ? `(${lat}, ${lon})` : '';
      return fill(t.location, { text: [str(content.text), coords].filter(Boolean).join(' ') });
    }
    case REDIRECT: {
      const to = isObject(content) ? str(content.address) : '';
      return to ? fill(t.redirected, { to }) : t.redirectedNowhere;
    }
    case 'text/plain':
      // What a person typed is printed exactly as typed.
      return m.text;
    default:
      if (UNSUPPORTED.test(m.text.trim())) return t.contentNotShown;
      return m.text
        .split('\n')
        .map((line) => translateLine(line, t))
        .join('\n')
        .replace(BRACKETED_TYPE, (_, type: string) => `[${t[mediaKind(type)]}]`);
  }
}
