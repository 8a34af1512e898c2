/** JSON schemas of the read API's answers (also the OpenAPI served at /docs). */
const nullableString = { type: ['string', 'null'] } as const;
const nullableInt = { type: ['integer', 'null'] } as const;

export const highlightSchema = {
  type: ['array', 'null'],
  description: 'plain-text segments of the best match; render as text, marking the ones with match=true',
  items: {
    type: 'object',
    required: ['text', 'match'],
    properties: { text: { type: 'string' }, match: { type: 'boolean' } },
  },
} as const;

export const contactSchema = {
  type: 'object',
  properties: {
    identity: nullableString,
    name: nullableString,
    phone: nullableString,
    email: nullableString,
  },
} as const;

export const ticketHitSchema = {
  type: 'object',
  properties: {
    ticketId: { type: 'string' },
    sequentialId: nullableInt,
    contact: contactSchema,
    channel: nullableString,
    agent: nullableString,
    team: nullableString,
    tags: { type: 'array', items: { type: 'string' } },
    status: { ...nullableString, description: "Blip's status code (ClosedClient, Transferred, …)" },
    openedAt: nullableString,
    closedAt: nullableString,
    messageCount: { type: 'integer' },
    mediaCount: { type: 'integer' },
    highlight: highlightSchema,
    hitPosition: {
      type: ['integer', 'null'],
      description: 'position of the message the free text matched: open the ticket there',
    },
    foundIn: {
      type: ['object', 'null'],
      description:
        'the free text was found in text machine-read from a media file: an image, or a page of a document; null when found in a message',
      required: ['kind', 'name', 'page'],
      properties: {
        kind: { type: 'string', enum: ['image', 'document'] },
        name: nullableString,
        page: nullableInt,
      },
    },
  },
} as const;

/** Counts per value of the filters an agent can pick (lib/search/search-extras.ts). */
const facetCountsSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['value', 'count'],
    properties: { value: { type: 'string' }, count: { type: 'integer' } },
  },
} as const;
export const facetsSchema = {
  type: 'object',
  required: ['channel', 'agent', 'team', 'tag', 'status'],
  properties: {
    channel: facetCountsSchema,
    agent: facetCountsSchema,
    team: facetCountsSchema,
    tag: {
      ...facetCountsSchema,
      description: "the tickets' tags (a ticket counts once under each of its tags)",
    },
    status: { ...facetCountsSchema, description: "Blip's status codes: translate them, never show them raw" },
  },
} as const;

export const ticketSchema = {
  type: 'object',
  properties: {
    ticketId: { type: 'string' },
    sequentialId: nullableInt,
    status: nullableString,
    channel: nullableString,
    contact: contactSchema,
    tunnelOriginator: nullableString,
    agent: nullableString,
    team: nullableString,
    tags: { type: 'array', items: { type: 'string' } },
    closedBy: nullableString,
    openedAt: nullableString,
    closedAt: nullableString,
    archivedAt: nullableString,
    messageCount: { type: 'integer' },
    mediaCount: { type: 'integer' },
    digest: { ...nullableString, description: 'v1 digest (ticket-vault-digest v1)' },
    seal: {
      type: ['object', 'null'],
      description: "the ticket's latest v2 seal (docs/evidence.md); null when only sealed as v1",
      properties: {
        version: { type: 'integer' },
        sealId: { type: 'string' },
        root: { type: 'string' },
        sealedAt: { type: 'string' },
        keyId: { type: 'string' },
      },
    },
  },
} as const;

/** Another archived ticket of the same tenant a ticket points at (lib/db/related-tickets.ts). */
export const relatedTicketSchema = {
  type: 'object',
  required: ['ticketId', 'sequentialId', 'relation', 'status', 'closedAt'],
  properties: {
    ticketId: { type: 'string' },
    sequentialId: nullableInt,
    relation: { type: 'string', enum: ['parent', 'child', 'thread'] },
    status: nullableString,
    closedAt: nullableString,
  },
} as const;

export const mediaSchema = {
  type: 'object',
  properties: {
    ordinal: { type: 'integer' },
    status: { type: 'string', enum: ['pending', 'stored', 'unavailable'] },
    contentType: nullableString,
    size: nullableInt,
    sha256: nullableString,
    title: nullableString,
    reason: nullableString,
    url: { ...nullableString, description: 'short-lived signed URL (stored media only)' },
    extractedText: {
      type: ['object', 'null'],
      description:
        'text machine-read from the file (OCR of an image, text layer or OCR of document pages): derived data, not part of the seal, not evidence; null until read',
      required: ['status', 'parts'],
      properties: {
        status: { type: 'string', enum: ['ok', 'unreadable', 'timeout', 'failed'] },
        reason: nullableString,
        engine: { type: 'string' },
        extractedAt: { type: 'string' },
        parts: {
          type: 'array',
          items: {
            type: 'object',
            required: ['page', 'source', 'text'],
            properties: {
              page: nullableInt,
              source: { type: 'string', enum: ['ocr', 'text-layer', 'plain'] },
              text: { type: 'string' },
            },
          },
        },
      },
    },
  },
} as const;

export const messageSchema = {
  type: 'object',
  properties: {
    messageId: { type: 'string' },
    position: { type: 'integer' },
    direction: { type: 'string', enum: ['customer', 'agent', 'bot', 'system'] },
    sender: nullableString,
    sentAt: nullableString,
    type: { type: 'string' },
    text: { type: 'string', description: 'display text; plain text, never HTML' },
    content: { description: "Blip's content as archived (U+0000 replaced)" },
    inTicketWindow: { type: 'boolean' },
    status: nullableString,
    media: { type: 'array', items: mediaSchema },
  },
} as const;

export const ticketIdParam = {
  type: 'object',
  required: ['ticketId'],
  properties: {
    ticketId: {
      type: 'string',
      pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
      description: 'the Blip ticket id (UUID)',
    },
  },
} as const;
