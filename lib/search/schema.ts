import { TENANT_KEY_FIELD } from './tenant-scope';

/**
 * Typesense collections (derived data: rebuilt from Postgres at any time). Every document carries
 * `tenant_id` (shown, and compared exactly after every search) and `tenant_key` (filtered on: see
 * tenant-scope.ts), and every search adds a tenant filter the caller cannot remove (docs/architecture.md
 * rule 6). A change here reaches an installation through `ticket-vault reindex`, which builds
 * `<alias>_v<N+1>` with these fields from Postgres and swaps the alias (migrate.ts).
 */
export interface CollectionNames {
  tickets: string;
  messages: string;
  /**
   * The messages sent within the free-text window (SEARCH_TEXT_DEFAULT_MONTHS, plus a margin: see
   * recent-messages.ts), a copy of their documents in `messages`. Typesense 0.24 intersects the
   * words' whole posting lists before it filters on sent_at, so the window only gets cheaper over a
   * collection that holds little else (docs/performance.md). Absent in a reindex plan started
   * before it existed.
   */
  messagesRecent: string;
}

export const COLLECTION_KINDS = ['tickets', 'messages', 'messagesRecent'] as const;

export function collectionNames(prefix: string): CollectionNames {
  return {
    tickets: `${prefix}tickets`,
    messages: `${prefix}messages`,
    messagesRecent: `${prefix}messages_recent`,
  };
}

type Field = {
  name: string;
  type: string;
  optional?: boolean;
  facet?: boolean;
  sort?: boolean;
  index?: boolean;
};

const TENANT_FIELDS: Field[] = [
  { name: 'tenant_id', type: 'string', facet: true },
  // Not optional: a document without it would be invisible to its own tenant's searches.
  { name: TENANT_KEY_FIELD, type: 'string' },
];

export const TICKET_FIELDS: Field[] = [
  ...TENANT_FIELDS,
  { name: 'ticket_id', type: 'string' },
  { name: 'sequential_id', type: 'int32', optional: true },
  { name: 'contact_identity', type: 'string', optional: true },
  { name: 'contact_name', type: 'string', optional: true },
  { name: 'contact_phone', type: 'string', optional: true, index: false },
  // Digit suffixes of the phone (lib/search/phone.ts), matched exactly.
  { name: 'phones', type: 'string[]', optional: true },
  { name: 'channel', type: 'string', optional: true, facet: true },
  { name: 'agent', type: 'string', optional: true, facet: true },
  { name: 'team', type: 'string', optional: true, facet: true },
  // Issue 15: filters with counts. Optional, so documents written by an older indexer stay valid;
  // collections built before them lack the fields until `reindex` (search-extras.ts LATE_FACET_FIELDS).
  { name: 'tags', type: 'string[]', optional: true, facet: true },
  { name: 'status', type: 'string', optional: true, facet: true },
  { name: 'opened_at', type: 'int64', optional: true },
  { name: 'closed_at', type: 'int64', sort: true },
  { name: 'message_count', type: 'int32' },
  { name: 'media_count', type: 'int32' },
  // image, document, audio, video: what the ticket's media are (filters "has image", …).
  { name: 'media_kinds', type: 'string[]', optional: true, facet: true },
];

export const MESSAGE_FIELDS: Field[] = [
  ...TENANT_FIELDS,
  { name: 'ticket_id', type: 'string', facet: true },
  { name: 'message_id', type: 'string', index: false, optional: true },
  { name: 'position', type: 'int32' },
  { name: 'direction', type: 'string', facet: true },
  { name: 'text', type: 'string' },
  { name: 'sent_at', type: 'int64', optional: true },
  // The text read from the message's media (issue 18; machine-read, derived, never sealed): one
  // item per image or document page, and where each came from (MediaSource JSON, same index).
  { name: 'media_text', type: 'string[]', optional: true },
  { name: 'media_sources', type: 'string[]', optional: true, index: false },
];

/** Where an item of `media_text` was read: an image, or a page of a document. */
export interface MediaSource {
  kind: 'image' | 'document';
  /** The file's name as sent (its title), or null when it had none. */
  name: string | null;
  /** 1-based page of a document; null for an image or a text file. */
  page: number | null;
}

export function collectionSchemas(names: CollectionNames) {
  return [
    { name: names.tickets, fields: TICKET_FIELDS, default_sorting_field: 'closed_at' },
    { name: names.messages, fields: MESSAGE_FIELDS, default_sorting_field: 'position' },
    { name: names.messagesRecent, fields: MESSAGE_FIELDS, default_sorting_field: 'position' },
  ];
}

/** Document ids: tenant first, so two tenants' tickets can never collide. */
export const ticketDocId = (tenantId: string, ticketId: string) => `${tenantId}:${ticketId}`;
export const messageDocId = (tenantId: string, ticketId: string, messageId: string) =>
  `${tenantId}:${ticketId}:${messageId}`;
