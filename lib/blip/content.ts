import type { MediaRef } from './domain';
import { isObject, type JsonObject } from './fields';

/**
 * Reads one Blip content (docs/blip-api.md §6) into plain text for search and display, and collects the
 * media links it carries — at the top level and nested in document-select headers, collection
 * items and reply/reaction quotes. Pure: nothing is fetched, followed or evaluated; URIs are only
 * text here. Unknown types read as "unsupported content (<type>)".
 */

export const ContentType = {
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

export interface ContentReading {
  text: string;
  media: MediaRef[];
}

/** Hostile content can nest quotes inside collections inside quotes; stop well before the stack does. */
const MAX_DEPTH = 8;
/** Quotes repeat another message of the thread; a prefix is enough to recognise it. */
const MAX_QUOTE_CHARS = 200;

interface Walk {
  media: MediaRef[];
  seen: Set<string>;
  depth: number;
  path: string;
  quoted: boolean;
}

export function readContent(type: string | undefined, content: unknown): ContentReading {
  const walk: Walk = { media: [], seen: new Set(), depth: 0, path: 'content', quoted: false };
  const text = render(type, content, walk);
  return { text, media: walk.media };
}

export function unsupported(type: string | undefined): string {
  return `unsupported content (${type && type !== '' ? type : 'no type'})`;
}

export function isHttpUri(uri: string): boolean {
  try {
    const { protocol } = new URL(uri);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

function baseType(type: string | undefined): string {
  return (type ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function s(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return '';
}

function join(parts: string[], separator: string): string {
  return parts.filter((p) => p !== '').join(separator);
}

function child(walk: Walk, path: string, quoted = walk.quoted): Walk {
  return { ...walk, depth: walk.depth + 1, path: `${walk.path}${path}`, quoted };
}

function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max).join('')}…`;
}

function render(type: string | undefined, value: unknown, walk: Walk): string {
  if (walk.depth > MAX_DEPTH) return '…';
  switch (baseType(type)) {
    case ContentType.text:
      return typeof value === 'string' ? value : s(value);
    case ContentType.mediaLink:
      return mediaLink(value, walk);
    case ContentType.webLink:
      return webLink(value);
    case ContentType.location:
      return location(value);
    case ContentType.contact:
      return contactCard(value);
    case ContentType.select:
      return select(value);
    case ContentType.documentSelect:
      return documentSelect(value, walk);
    case ContentType.collection:
      return collection(value, walk);
    case ContentType.container:
      return isObject(value) ? render(s(value.type), value.value, child(walk, '.value')) : unsupported(type);
    case ContentType.reply:
      return reply(value, walk);
    case ContentType.reaction:
      return reaction(value, walk);
    case ContentType.json:
      return nativeJson(value) ?? unsupported(type);
    case ContentType.chatstate:
      return isObject(value) && s(value.state) ? `(chat state: ${s(value.state)})` : '(chat state)';
    case ContentType.redirect:
      return isObject(value) && s(value.address) ? `(redirected to ${s(value.address)})` : '(redirected)';
    case ContentType.ticket:
      return ticketEvent(value, walk);
    default:
      return unsupported(type);
  }
}

function mediaLink(value: unknown, walk: Walk): string {
  if (!isObject(value)) return '[media]';
  const uri = s(value.uri);
  const contentType = s(value.type) || 'application/octet-stream';
  const title = s(value.title);
  if (uri !== '' && !walk.seen.has(uri)) {
    walk.seen.add(uri);
    const size = typeof value.size === 'number' && Number.isFinite(value.size) ? value.size : undefined;
    const previewUri = s(value.previewUri);
    walk.media.push({
      uri,
      contentType,
      ...(size === undefined ? {} : { size }),
      ...(title === '' ? {} : { title }),
      ...(previewUri === '' ? {} : { previewUri }),
      isHttp: isHttpUri(uri),
      path: walk.path,
      quoted: walk.quoted,
    });
  }
  const caption = s(value.text);
  const text = join(caption === title ? [caption] : [caption, title], ' — ');
  return text !== '' ? text : `[${contentType}]`;
}

/** Title, text and the URI as text: links are shown, never fetched. */
function webLink(value: unknown): string {
  if (!isObject(value)) return '[link]';
  return join([s(value.title), s(value.text), s(value.uri)], ' — ') || '[link]';
}

function location(value: unknown): string {
  if (!isObject(value)) return '[location]';
  const lat = typeof value.latitude === 'number' ? value.latitude : undefined;
  const lon = typeof value.longitude === 'number' ? value.longitude : undefined;
  const coords = lat !== undefined && lon !== undefined ? `(${lat}, ${lon})` : '';
  return join(['Location:', s(value.text), coords], ' ') || '[location]';
}

function contactCard(value: unknown): string {
  if (!isObject(value)) return '[contact card]';
  const name = s(value.name) || join([s(value.firstName), s(value.lastName)], ' ');
  const phone = s(value.phoneNumber);
  const cell = s(value.cellPhoneNumber);
  const details = join([name, phone, cell === phone ? '' : cell, s(value.email)], ' · ');
  return details === '' ? '[contact card]' : `Contact card: ${details}`;
}

function optionLines(options: unknown, label: (option: JsonObject, index: number) => string): string[] {
  if (!Array.isArray(options)) return [];
  return options.filter(isObject).map(label);
}

function select(value: unknown): string {
  if (!isObject(value)) return '[menu]';
  const lines = optionLines(value.options, (o, i) => {
    const order = typeof o.order === 'number' ? o.order : i + 1;
    return `${order}. ${s(o.text) || s(o.value)}`;
  });
  return join([s(value.text), ...lines], '\n') || '[menu]';
}

function documentSelect(value: unknown, walk: Walk): string {
  if (!isObject(value)) return '[menu]';
  const header = isObject(value.header)
    ? render(s(value.header.type), value.header.value, child(walk, '.header'))
    : '';
  const options = optionLines(value.options, (o, i) =>
    isObject(o.label)
      ? `• ${render(s(o.label.type), o.label.value, child(walk, `.options[${i}].label`))}`
      : '',
  );
  return join([header, ...options], '\n') || '[menu]';
}

function collection(value: unknown, walk: Walk): string {
  if (!isObject(value) || !Array.isArray(value.items)) return '[collection]';
  const itemType = s(value.itemType);
  const isContainer = baseType(itemType) === ContentType.container || itemType === '';
  const parts = value.items.map((item, i) => {
    if (isContainer && isObject(item))
      return render(s(item.type), item.value, child(walk, `.items[${i}].value`));
    return render(itemType, item, child(walk, `.items[${i}]`));
  });
  return join(parts, '\n') || '[collection]';
}

function quote(text: string): string {
  return truncate(text, MAX_QUOTE_CHARS)
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
}

function reply(value: unknown, walk: Walk): string {
  if (!isObject(value)) return '[reply]';
  const replied = isObject(value.replied)
    ? render(s(value.replied.type), value.replied.value, child(walk, '.replied'))
    : '';
  const quoted = isObject(value.inReplyTo)
    ? render(s(value.inReplyTo.type), value.inReplyTo.value, child(walk, '.inReplyTo.value', true))
    : '';
  return join([replied, quoted === '' ? '' : quote(quoted)], '\n') || '[reply]';
}

/** Emoji from Unicode code points; invalid ones are skipped. */
export function emojiFromCodePoints(values: unknown): string {
  if (!Array.isArray(values)) return '';
  return values
    .filter((v): v is number => Number.isInteger(v) && v >= 0 && v <= 0x10ffff)
    .map((v) => String.fromCodePoint(v))
    .join('');
}

function reaction(value: unknown, walk: Walk): string {
  if (!isObject(value)) return '[reaction]';
  const emoji = isObject(value.emoji) ? emojiFromCodePoints(value.emoji.values) : '';
  const target = isObject(value.inReactionTo)
    ? render(s(value.inReactionTo.type), value.inReactionTo.value, child(walk, '.inReactionTo.value', true))
    : '';
  const head = emoji === '' ? 'Removed reaction' : `Reacted ${emoji}`;
  return target === '' ? head : `${head} to:\n${quote(target)}`;
}

function ticketEvent(value: unknown, walk: Walk): string {
  if (!isObject(value)) return 'Ticket event';
  const seq = s(value.sequentialId);
  const suffix = s(value.sequentialSuffix);
  const name = seq === '' ? 'Ticket' : `Ticket #${seq}${suffix === '' ? '' : `-${suffix}`}`;
  const facts = join([s(value.status), s(value.team) && `team ${s(value.team)}`], ', ');
  const input = isObject(value.customerInput)
    ? render(s(value.customerInput.type), value.customerInput.value, child(walk, '.customerInput'))
    : '';
  return join(
    [`${name} opened${facts === '' ? '' : ` (${facts})`}`, input && `Customer input: ${input}`],
    '\n',
  );
}

/** Channel-native payloads (WhatsApp interactive messages and templates); null when unknown. */
function nativeJson(value: unknown): string | null {
  if (!isObject(value)) return null;
  const kind = s(value.type);
  if (kind === 'interactive' && isObject(value.interactive)) return interactive(value.interactive);
  if (kind === 'template' && isObject(value.template)) return template(value.template);
  if (kind === 'text' && isObject(value.text)) return s(value.text.body) || null;
  return null;
}

function interactive(value: JsonObject): string {
  const header = isObject(value.header) && s(value.header.type) === 'text' ? s(value.header.text) : '';
  const body = isObject(value.body) ? s(value.body.text) : '';
  const footer = isObject(value.footer) ? s(value.footer.text) : '';
  const action = isObject(value.action) ? value.action : {};
  const buttons = Array.isArray(action.buttons)
    ? action.buttons.filter(isObject).map((b) => `• ${isObject(b.reply) ? s(b.reply.title) : s(b.title)}`)
    : [];
  const rows: string[] = [];
  if (Array.isArray(action.sections)) {
    for (const section of action.sections.filter(isObject)) {
      if (s(section.title)) rows.push(s(section.title));
      if (Array.isArray(section.rows)) {
        for (const row of section.rows.filter(isObject)) {
          rows.push(`• ${join([s(row.title), s(row.description)], ' — ')}`);
        }
      }
    }
  }
  const listButton = s(action.button);
  const cta = isObject(action.parameters)
    ? join([s(action.parameters.display_text), s(action.parameters.url)], ' — ')
    : '';
  const text = join([header, body, footer, listButton && `[${listButton}]`, ...buttons, ...rows, cta], '\n');
  return text || `WhatsApp interactive message (${s(value.type) || 'unknown'})`;
}

function template(value: JsonObject): string {
  const language = isObject(value.language) ? s(value.language.code) : '';
  const params: string[] = [];
  if (Array.isArray(value.components)) {
    for (const component of value.components.filter(isObject)) {
      if (!Array.isArray(component.parameters)) continue;
      for (const p of component.parameters.filter(isObject)) {
        if (s(p.text)) params.push(s(p.text));
      }
    }
  }
  const head = `WhatsApp template ${s(value.name) || '(unnamed)'}${language === '' ? '' : ` (${language})`}`;
  return join([head, ...params], '\n');
}
