import { ContentType, readContent } from './content';
import type { Message, MessageContext, MessageDirection, MessageReason, ThreadMessageItem } from './domain';
import { BlipCommandError } from './errors';
import { isObject, isoDate, str } from './fields';

/**
 * Thread-message item (docs/blip-api.md §5) → domain Message. Pure. `direction` in Blip is the bot's point
 * of view: `received` is the customer; `sent` is the bot or a human agent, told apart by the
 * `fwd:fwd:` id prefix or `#messageEmitter = Human`. The ticket-event item is a system message.
 */

const AGENT_ID_PREFIX = 'fwd:fwd:';

export function directionOf(item: ThreadMessageItem): MessageDirection {
  if (item.type === ContentType.ticket) return 'system';
  const metadata = isObject(item.metadata) ? item.metadata : {};
  if (item.direction === 'received') return 'customer';
  if (item.direction === 'sent') {
    const human = item.id.startsWith(AGENT_ID_PREFIX) || metadata['#messageEmitter'] === 'Human';
    return human ? 'agent' : 'bot';
  }
  return 'system';
}

function senderOf(direction: MessageDirection, item: ThreadMessageItem, ctx: MessageContext): string | null {
  const metadata = isObject(item.metadata) ? item.metadata : {};
  switch (direction) {
    case 'customer':
      return (typeof item.peerIdentity === 'string' && item.peerIdentity) || ctx.customerIdentity || null;
    case 'agent':
      // Older agent messages do not say which agent; the ticket's agent may not be the author
      // (transfers), so leave it unknown rather than guess.
      return str(metadata, '#message.agentIdentity');
    case 'bot':
      return str(metadata, '$originator') ?? ctx.botIdentity ?? null;
    default:
      return null;
  }
}

function reasonOf(value: unknown): MessageReason | null {
  if (!isObject(value)) return null;
  return {
    ...(typeof value.code === 'number' ? { code: value.code } : {}),
    ...(typeof value.description === 'string' ? { description: value.description } : {}),
  };
}

/** Display/search text: U+0000 replaced by U+FFFD (Postgres text cannot hold NUL); all else kept. */
export function displayText(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD');
}

export function normalizeMessage(item: unknown, ctx: MessageContext = {}): Message {
  if (!isObject(item) || typeof item.id !== 'string' || item.id === '') {
    throw new BlipCommandError('Blip returned a thread message without an id', 'BLIP_MALFORMED_RESOURCE');
  }
  const raw = item as ThreadMessageItem;
  const metadata = isObject(raw.metadata) ? raw.metadata : {};
  const direction = directionOf(raw);
  const type = typeof raw.type === 'string' ? raw.type : '';
  const { text, media } = readContent(type, raw.content);
  const createdMs = Number(metadata.date_created);
  return {
    id: raw.id,
    direction,
    sender: senderOf(direction, raw, ctx),
    sentAt: isoDate(raw.date) ?? (Number.isFinite(createdMs) && createdMs > 0 ? isoDate(createdMs) : null),
    type,
    text: displayText(text),
    media,
    status: typeof raw.status === 'string' ? raw.status : null,
    reason: reasonOf(raw.reason),
    metadata,
    raw,
  };
}

export function normalizeMessages(items: unknown[], ctx: MessageContext = {}): Message[] {
  return items.map((item) => normalizeMessage(item, ctx));
}
