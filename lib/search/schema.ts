/**
 * Typesense collections (derived data: rebuilt from Postgres at any time). Every document carries
 * `tenant_id`, and every search adds a tenant filter the caller cannot remove (docs/architecture.md rule 6).
 */
export interface CollectionNames {
  tickets: string;
  messages: string;
}

export function collectionNames(prefix: string): CollectionNames {
  return { tickets: `${prefix}tickets`, messages: `${prefix}messages` };
}

type Field = {
  name: string;
  type: string;
  optional?: boolean;
  facet?: boolean;
  sort?: boolean;
  index?: boolean;
};

export const TICKET_FIELDS: Field[] = [
  { name: 'tenant_id', type: 'string', facet: true },
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
  { name: 'opened_at', type: 'int64', optional: true },
  { name: 'closed_at', type: 'int64', sort: true },
  { name: 'message_count', type: 'int32' },
  { name: 'media_count', type: 'int32' },
];

export const MESSAGE_FIELDS: Field[] = [
  { name: 'tenant_id', type: 'string', facet: true },
  { name: 'ticket_id', type: 'string', facet: true },
  { name: 'message_id', type: 'string', index: false, optional: true },
  { name: 'position', type: 'int32' },
  { name: 'direction', type: 'string', facet: true },
  { name: 'text', type: 'string' },
  { name: 'sent_at', type: 'int64', optional: true },
];

export function collectionSchemas(names: CollectionNames) {
  return [
    { name: names.tickets, fields: TICKET_FIELDS, default_sorting_field: 'closed_at' },
    { name: names.messages, fields: MESSAGE_FIELDS, default_sorting_field: 'position' },
  ];
}

/** Document ids: tenant first, so two tenants' tickets can never collide. */
export const ticketDocId = (tenantId: string, ticketId: string) => `${tenantId}:${ticketId}`;
export const messageDocId = (tenantId: string, ticketId: string, messageId: string) =>
  `${tenantId}:${ticketId}:${messageId}`;
