import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsync } from 'fastify';
import { writeAudit } from '../../lib/db/audit';
import type { Db } from '../../lib/db/pool';
import { readMedia, readMessages, readTicket } from '../../lib/db/read';
import { readRelatedTickets } from '../../lib/db/related-tickets';
import { getTenant } from '../../lib/db/tenants';
import { SearchQueryError, TEXT_SCOPES, type TicketQuery } from '../../lib/search/query';
import { SORT_ORDERS } from '../../lib/search/search-extras';
import type { TicketSearchResult } from '../../lib/search/ticket-search';
import { isInlineSafe } from '../../lib/storage/inline-safe';
import type { ObjectStore } from '../../lib/storage/object-store';
import { badRequest, notFound } from '../services/http-errors';
import type { ReadAccess } from '../services/read-access';
import type { TenantConcurrency } from '../services/tenant-concurrency';
import { type TenantRateLimit, tenantRateLimitConfig } from '../services/tenant-rate-limit';
import {
  facetsSchema,
  messageSchema,
  relatedTicketSchema,
  ticketHitSchema,
  ticketIdParam,
  ticketSchema,
} from './read-schemas';

/** Search archived tickets, and read one as it happened, with signed links to its media. */
export interface TicketRouteOptions {
  db: Db;
  store: ObjectStore;
  access: ReadAccess;
  search: (tenantId: string, query: TicketQuery) => Promise<TicketSearchResult>;
  mediaUrlTtlSeconds: number;
  /** Searches per tenant per window before 429. */
  searchRateLimit: { max: number; timeWindowMs: number };
  /** Ticket reads in progress per tenant (429 beyond). */
  readConcurrency: TenantConcurrency;
  /** Ticket reads and media re-links per tenant per window, each route apart (429 beyond). */
  readRateLimit: TenantRateLimit;
}

export const MAX_PER_PAGE = 100;
const READ_SETTING = 'READ_RATE_LIMIT_PER_MINUTE';
export const MAX_MESSAGES_PER_PAGE = 2000;

/**
 * The app's Ajv does not coerce types (webhook bodies must be exact), so integer query parameters
 * arrive as strings; turn plain decimal strings into numbers before the schema checks them.
 */
const integerQuery =
  (names: string[]) =>
  async (req: { query: unknown }): Promise<void> => {
    const query = req.query as Record<string, unknown>;
    for (const name of names) {
      const value = query[name];
      if (typeof value === 'string' && /^-?\d{1,15}$/.test(value)) query[name] = Number(value);
    }
  };

const searchText = (description: string) =>
  ({ type: 'string', minLength: 1, maxLength: 200, description }) as const;

export const ticketRoutes: FastifyPluginAsync<TicketRouteOptions> = async (app, opts) => {
  await app.register(rateLimit, {
    global: false,
    hook: 'preHandler',
    keyGenerator: (req) => opts.access.rateLimitKey(req),
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      error: 'rate_limited',
      message: `too many searches for this tenant: limit ${ctx.max} per ${ctx.after}; retry later`,
    }),
  });

  app.get<{
    Querystring: Omit<TicketQuery, 'page' | 'perPage' | 'timeZone' | 'has'> & {
      page?: number;
      perPage?: number;
      has?: string;
    };
  }>(
    '/v1/tickets',
    {
      preValidation: integerQuery(['page', 'perPage']),
      config: { rateLimit: { max: opts.searchRateLimit.max, timeWindow: opts.searchRateLimit.timeWindowMs } },
      schema: {
        tags: ['tickets'],
        summary:
          "Search archived tickets of the session tenant, newest first or best match first; bare dates are whole days in the tenant's time zone",
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            q: searchText('free text inside messages'),
            name: searchText('contact name: prefix, typo and accent tolerant'),
            phone: searchText('any common formatting: +55 (11) 98765-4321, 11987654321, 98765-4321'),
            ticket: searchText('ticket id (UUID) or sequential number'),
            from: searchText('closed on or after: 2025-03-12 or an ISO date-time'),
            to: searchText('closed on or before: 2025-03-12 (whole day) or an ISO date-time'),
            channel: searchText('only this channel (a value of facets.channel)'),
            agent: searchText('only this agent (a value of facets.agent)'),
            team: searchText('only this team (a value of facets.team)'),
            tag: searchText('only tickets carrying this tag (a value of facets.tag)'),
            status: {
              type: 'string',
              pattern: '^[A-Za-z]{1,40}$',
              description:
                'only tickets in this Blip status (a value of facets.status: ClosedClient, ClosedAttendant, Transferred, …)',
            },
            sort: {
              type: 'string',
              enum: [...SORT_ORDERS],
              default: 'closed',
              description:
                'closed: newest closed first; relevance: best match of the name or the words first (newest first without either)',
            },
            has: {
              type: 'string',
              pattern: '^(image|document|audio|video)(,(image|document|audio|video)){0,3}$',
              description:
                'only tickets with media of each of these kinds, comma-separated: image,document,audio,video',
            },
            textScope: {
              type: 'string',
              enum: [...TEXT_SCOPES],
              default: 'recent',
              description:
                'free text (q) without from/to: recent searches the messages of the last SEARCH_TEXT_DEFAULT_MONTHS months (textWindow in the answer says which), all searches every date; from/to replace the window. Names, phones and ticket ids are never windowed',
            },
            page: { type: 'integer', minimum: 1, maximum: 1000, default: 1 },
            perPage: { type: 'integer', minimum: 1, maximum: MAX_PER_PAGE, default: 20 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['found', 'page', 'perPage', 'hits', 'textMatchesCapped', 'facets', 'textWindow'],
            properties: {
              found: { type: 'integer' },
              page: { type: 'integer' },
              perPage: { type: 'integer' },
              textMatchesCapped: {
                type: 'boolean',
                description:
                  'The words matched more tickets than one search covers (250): only the best-matching ones were considered, and the other filters apply within them. More specific words find the others.',
              },
              hits: { type: 'array', items: ticketHitSchema },
              facets: facetsSchema,
              textWindow: {
                type: ['object', 'null'],
                required: ['since', 'months'],
                properties: {
                  since: { type: 'string', format: 'date-time' },
                  months: { type: 'integer' },
                },
                description:
                  'The free text searched only messages sent since `since` (the last `months` months): older matches are not in this answer; textScope=all searches every date. null: every date was searched, or there was no free text.',
              },
              timeZone: { type: 'string', description: 'the zone bare dates were read in' },
            },
          },
          '4xx': { $ref: 'Error#' },
        },
      },
    },
    async (req) => {
      const { tenantId } = await opts.access.sessionOf(req);
      // "12/03" means the 12th where the company works, not in UTC (issue 15).
      const timeZone = (await getTenant(opts.db, tenantId))?.timeZone ?? 'America/Sao_Paulo';
      try {
        const { has, ...rest } = req.query;
        const result = await opts.search(tenantId, {
          ...rest,
          ...(has ? { has: has.split(',') as TicketQuery['has'] } : {}),
          timeZone,
          page: req.query.page ?? 1,
          perPage: req.query.perPage ?? 20,
        });
        return { ...result, timeZone };
      } catch (err) {
        if (err instanceof SearchQueryError) throw badRequest(err.message, err.reason, err.params);
        throw err;
      }
    },
  );

  app.get<{ Params: { ticketId: string }; Querystring: { after?: number; limit?: number } }>(
    '/v1/tickets/:ticketId',
    {
      config: tenantRateLimitConfig(opts.readRateLimit, 'ticket reads', READ_SETTING),
      preValidation: integerQuery(['after', 'limit']),
      schema: {
        tags: ['tickets'],
        summary: 'One archived ticket with its messages in order (paged by position) and media links',
        params: ticketIdParam,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            after: { type: 'integer', minimum: -1, default: -1, description: 'messages after this position' },
            limit: { type: 'integer', minimum: 1, maximum: MAX_MESSAGES_PER_PAGE, default: 500 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['ticket', 'messages', 'nextAfter', 'related'],
            properties: {
              ticket: ticketSchema,
              related: {
                type: 'array',
                description:
                  'archived tickets of this tenant the ticket points at: its ticket events ("ticket opened #1044"), the ticket it was transferred from (parent) and those transferred from it (child); only in the first page (empty when `after` is given)',
                items: relatedTicketSchema,
              },
              messages: { type: 'array', items: messageSchema },
              nextAfter: {
                type: ['integer', 'null'],
                description: 'pass as `after` for the next page; null at the end',
              },
            },
          },
          '4xx': { $ref: 'Error#' },
        },
      },
    },
    async (req) => {
      const session = await opts.access.sessionOf(req);
      return opts.readConcurrency.run(session.tenantId, () => readOne(session, req.params, req.query));
    },
  );

  app.get<{ Params: { ticketId: string; messageId: string; ordinal: number } }>(
    '/v1/tickets/:ticketId/messages/:messageId/media/:ordinal',
    {
      config: tenantRateLimitConfig(opts.readRateLimit, 'media links', READ_SETTING),
      preValidation: async (req) => {
        const params = req.params as Record<string, unknown>;
        if (typeof params.ordinal === 'string' && /^\d{1,6}$/.test(params.ordinal))
          params.ordinal = Number(params.ordinal);
      },
      schema: {
        tags: ['tickets'],
        summary:
          'A fresh signed link to one archived media file (the links in a ticket read expire; an open ticket asks again)',
        params: {
          type: 'object',
          required: ['ticketId', 'messageId', 'ordinal'],
          properties: {
            ...ticketIdParam.properties,
            messageId: { type: 'string', minLength: 1, maxLength: 200 },
            ordinal: { type: 'integer', minimum: 0, maximum: 100000 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['url', 'expiresInSeconds'],
            properties: {
              url: { type: 'string', description: 'short-lived signed URL' },
              expiresInSeconds: { type: 'integer' },
            },
          },
          '4xx': { $ref: 'Error#' },
        },
      },
    },
    async (req) => {
      const session = await opts.access.sessionOf(req);
      const ticketId = req.params.ticketId.toLowerCase();
      const media = await readMedia(
        opts.db,
        session.tenantId,
        ticketId,
        req.params.messageId,
        req.params.ordinal,
      );
      // Another tenant's media, a file not stored (yet), or no such file: all the same 404.
      const storageKey = media?.status === 'stored' ? media.storageKey : null;
      if (!media || !storageKey)
        throw notFound(
          `media ${req.params.ordinal} of message ${req.params.messageId.slice(0, 80)} is not stored here`,
        );
      const url = await opts.store.signedReadUrl(storageKey, {
        expiresInSeconds: opts.mediaUrlTtlSeconds,
        forceDownload: !isInlineSafe(media.contentType),
      });
      await writeAudit(opts.db, {
        tenantId: session.tenantId,
        actor: session.actor,
        action: 'media.link',
        target: ticketId,
        details: { messageId: req.params.messageId, ordinal: req.params.ordinal },
      });
      return { url, expiresInSeconds: opts.mediaUrlTtlSeconds };
    },
  );

  async function readOne(
    session: { tenantId: string; actor: string },
    params: { ticketId: string },
    query: { after?: number; limit?: number },
  ) {
    const ticketId = params.ticketId.toLowerCase();
    const ticket = await readTicket(opts.db, session.tenantId, ticketId);
    // Another tenant's ticket is indistinguishable from one that does not exist.
    if (!ticket) throw notFound(`ticket ${ticketId} is not in this archive`);
    const after = query.after ?? -1;
    const limit = query.limit ?? 500;
    const messages = await readMessages(opts.db, session.tenantId, ticketId, after, limit);
    const withUrls = await Promise.all(
      messages.map(async (m) => ({
        ...m,
        media: await Promise.all(
          m.media.map(async ({ storageKey, ...media }) => ({
            ...media,
            url:
              media.status === 'stored' && storageKey
                ? await opts.store.signedReadUrl(storageKey, {
                    expiresInSeconds: opts.mediaUrlTtlSeconds,
                    // Media a browser could execute is only ever handed out as a download.
                    forceDownload: !isInlineSafe(media.contentType),
                  })
                : null,
          })),
        ),
      })),
    );
    if (after === -1) {
      await writeAudit(opts.db, {
        tenantId: session.tenantId,
        actor: session.actor,
        action: 'ticket.view',
        target: ticketId,
      });
    }
    const last = messages[messages.length - 1];
    // Links to the tickets this one names, only ever within the session's tenant (related-tickets.ts).
    const related = after === -1 ? await readRelatedTickets(opts.db, session.tenantId, ticketId) : [];
    return {
      ticket,
      related,
      messages: withUrls,
      nextAfter: messages.length === limit && last ? last.position : null,
    };
  }
};
