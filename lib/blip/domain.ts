/**
 * ticket-vault's view of Blip resources. Each keeps `raw`, the resource exactly as Blip sent it,
 * so nothing is lost when Blip adds a field or a content type; the other fields are derived and
 * can be recomputed from `raw` at any time.
 */

/** The channel a customer came through, from the identity's domain (docs/blip-api.md §2). */
export type Channel =
  | 'WhatsApp'
  | 'Instagram'
  | 'Messenger'
  | 'Telegram'
  | 'BlipChat'
  | 'Email'
  | 'Teams'
  | 'SMS'
  | 'Tunnel'
  | 'Other';

/** Statuses Blip documents; others seen in the field (ClosedClientInactivity…) are kept as strings. */
export const KNOWN_TICKET_STATUSES = [
  'None',
  'Waiting',
  'Open',
  'ClosedAttendant',
  'ClosedClient',
  'ClosedClientInactivity',
  'ClosedAttendantInactivity',
  'Transferred',
  'Assigned',
] as const;
export type KnownTicketStatus = (typeof KNOWN_TICKET_STATUSES)[number];

/** Every channel `Channel` names, for the UI's translation tables (test/unit/ui-codes.test.ts). */
export const CHANNELS = [
  'WhatsApp',
  'Instagram',
  'Messenger',
  'Telegram',
  'BlipChat',
  'Email',
  'Teams',
  'SMS',
  'Tunnel',
  'Other',
] as const satisfies readonly Channel[];

/** Lime notification events a message's `status` holds (docs/blip-api.md): its delivery state. */
export const DELIVERY_STATES = ['accepted', 'dispatched', 'received', 'consumed', 'failed'] as const;

/** Lime chat states (application/vnd.lime.chatstate+json `state`). */
export const CHAT_STATES = ['starting', 'composing', 'paused', 'deleting', 'gone'] as const;
export type TicketStatus = KnownTicketStatus | (string & {});

export interface Ticket {
  id: string;
  sequentialId: number | null;
  sequentialSuffix: string | null;
  /** The bot that owns the ticket (`routingOwnerIdentity` when Blip sent one). */
  ownerIdentity: string | null;
  customerIdentity: string | null;
  customerDomain: string | null;
  channel: Channel;
  /** The customer is a `<uuid>@tunnel.msging.net` identity behind a router bot. */
  viaTunnel: boolean;
  agentIdentity: string | null;
  /** The agent's e-mail, decoded from `<url-encoded e-mail>@blip.ai`. */
  agentEmail: string | null;
  team: string | null;
  provider: string | null;
  status: TicketStatus | null;
  storageDate: string | null;
  openDate: string | null;
  closeDate: string | null;
  statusDate: string | null;
  firstResponseDate: string | null;
  closed: boolean;
  closedBy: string | null;
  tags: string[];
  parentSequentialId: number | null;
  priority: number | null;
  rating: number | null;
  raw: Record<string, unknown>;
}

export interface Contact {
  identity: string;
  name: string | null;
  phoneNumber: string | null;
  email: string | null;
  city: string | null;
  source: string | null;
  extras: Record<string, unknown>;
  raw: Record<string, unknown>;
}

/** What `get /tunnels/{uuid}` says about a router customer: `originator` is the real identity. */
export interface Tunnel {
  owner: string | null;
  originator: string | null;
  destination: string | null;
  raw: Record<string, unknown>;
}

export type MessageDirection = 'customer' | 'agent' | 'bot' | 'system';

export interface MediaRef {
  uri: string;
  contentType: string;
  size?: number;
  title?: string;
  previewUri?: string;
  /** http/https only; anything else (file:, javascript:, data:) must never be fetched. */
  isHttp: boolean;
  /** Where in the content the link was found, e.g. `content`, `content.items[0].header`, `content.inReplyTo.value`. */
  path: string;
  /** Found inside a reply/reaction quote of another message rather than sent in this one. */
  quoted: boolean;
}

export interface MessageReason {
  code?: number;
  description?: string;
}

/** A raw item of `/tickets/{id}/messages` or `/threads` (application/vnd.iris.thread-message+json). */
export interface ThreadMessageItem {
  id: string;
  direction?: string;
  type?: string;
  content?: unknown;
  date?: string;
  status?: string;
  reason?: MessageReason;
  metadata?: Record<string, unknown>;
  peerIdentity?: string;
  [key: string]: unknown;
}

export interface Message {
  id: string;
  direction: MessageDirection;
  /** Identity of the author when the item says it (or the context supplies it); null otherwise. */
  sender: string | null;
  /** ISO 8601 UTC; null when Blip sent no readable date. */
  sentAt: string | null;
  type: string;
  /**
   * Plain text for search and display. NUL (U+0000) is replaced by U+FFFD because Postgres text
   * cannot hold it and it has no visible meaning; every other character is kept. The untouched
   * original is in `raw`.
   */
  text: string;
  media: MediaRef[];
  status: string | null;
  reason: MessageReason | null;
  metadata: Record<string, unknown>;
  raw: ThreadMessageItem;
}

/** Optional facts from the ticket that let normalisation name senders. */
export interface MessageContext {
  botIdentity?: string;
  customerIdentity?: string;
}
