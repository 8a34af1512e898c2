import type { Client } from '@temporalio/client';
import type { FastifyPluginAsync } from 'fastify';
import type { SecretBox } from '../../lib/crypto/secret-box';
import { writeAudit } from '../../lib/db/audit';
import { ExportLimitError } from '../../lib/db/export-limits';
import { exportAuditTarget } from '../../lib/db/export-targets';
import { downloadNameOf, type ExportParams, getExport } from '../../lib/db/exports';
import type { Db } from '../../lib/db/pool';
import { readContactTickets, readTicket } from '../../lib/db/read';
import type { SealKeyProvider } from '../../lib/integrity/key-provider';
import { verifyTicket } from '../../lib/integrity/verify';
import { langFromAcceptLanguage, PDF_LANGS, type PdfLang, parseLang } from '../../lib/pdf/i18n';
import {
  checkRedaction,
  MAX_CUSTOM_REGEX,
  MAX_CUSTOM_REGEX_LENGTH,
  PATTERN_KINDS,
  type RedactionProblem,
} from '../../lib/redaction/patterns';
import { parseDateBound, SearchQueryError } from '../../lib/search/query';
import type { ObjectStore } from '../../lib/storage/object-store';
import { startExport } from '../../lib/temporal/export-starter';
import { badRequest, exportTooLarge, notFound, tooManyRequests } from '../services/http-errors';
import type { ReadAccess } from '../services/read-access';
import type { TenantConcurrency } from '../services/tenant-concurrency';
import {
  registerTenantRateLimit,
  type TenantRateLimit,
  tenantRateLimitConfig,
} from '../services/tenant-rate-limit';
import { ticketIdParam } from './read-schemas';

/** PDF exports (as Temporal workflows) and digest verification, under the same tenant rules as reads. */
export interface ExportRouteOptions {
  db: Db;
  /** Names a contact in the audit log by its keyed fingerprint, never in clear. */
  box: SecretBox;
  store: ObjectStore;
  access: ReadAccess;
  temporal: Client;
  taskQueue: string;
  signedUrlTtlSeconds: number;
  sealKeys: SealKeyProvider;
  /** Exports running at once per tenant (429 beyond), and messages in one PDF (422 beyond). */
  limits: { maxRunningPerTenant: number; maxMessages: number };
  /** Verifications in progress per tenant (429 beyond): each hashes every media object of a ticket. */
  verifyConcurrency: TenantConcurrency;
  /**
   * Verifications and export reads per tenant per window (429 beyond; READ_RATE_LIMIT_PER_MINUTE):
   * the UI polls an export's state every second, so its reads count as reads, not as exports.
   */
  readRateLimit: TenantRateLimit;
  /** Export creations per tenant per window, ticket and contact apart (429 beyond). */
  exportRateLimit: TenantRateLimit;
}

const nullableString = { type: ['string', 'null'] } as const;
const anyValue = {} as const;

/** One difference `verify` found, named by message, media and field (lib/integrity/verify.ts). */
const problemSchema = {
  type: 'object',
  required: ['kind', 'message'],
  properties: {
    kind: { type: 'string', enum: ['field', 'message', 'media', 'seal', 'chain', 'digest'] },
    source: { type: 'string', enum: ['seal', 'raw', 'storage'] },
    messageId: { type: 'string' },
    ordinal: { type: 'integer' },
    field: {
      type: 'string',
      description: 'e.g. `text`, `sender`, `sentAt`, `position`, `ticket.contactName`, `media[0].sha256`',
    },
    expected: anyValue,
    found: anyValue,
    message: { type: 'string' },
  },
} as const;

/** `lang` in the body wins; else the browser's Accept-Language; else pt-BR. */
const langProperty = {
  type: 'string',
  maxLength: 20,
  description: `the document's language: ${PDF_LANGS.join(', ')} (pt, es-MX, en-US… accepted); default from Accept-Language, else pt-BR`,
} as const;

function requestLang(
  body: { lang?: string } | null | undefined,
  acceptLanguage: string | undefined,
): PdfLang {
  if (body?.lang === undefined) return langFromAcceptLanguage(acceptLanguage);
  const lang = parseLang(body.lang);
  if (!lang) throw badRequest(`lang must be one of ${PDF_LANGS.join(', ')}`, 'lang_invalid');
  return lang;
}

/** A refused choice of patterns (checkRedaction) as the API's 400: its reason code, the pattern named. */
function redactionRefusal(problem: RedactionProblem): Error {
  switch (problem.kind) {
    case 'unknown-pattern':
      return badRequest(
        `redact.patterns: unknown pattern "${problem.pattern}" (one of ${PATTERN_KINDS.join(', ')})`,
        'redact_pattern_unknown',
        { pattern: problem.pattern },
      );
    case 'too-many-regex':
      return badRequest(
        `redact.regex: at most ${MAX_CUSTOM_REGEX} custom patterns, got ${problem.count}`,
        'redact_regex_invalid',
        { pattern: problem.pattern, problem: 'too many' },
      );
    case 'bad-regex': {
      const source = problem.pattern;
      return badRequest(
        `redact.regex: ${JSON.stringify(source)} ${problem.problem}`,
        'redact_regex_invalid',
        {
          pattern: source.length > 60 ? `${source.slice(0, 57)}…` : source,
          problem: problem.problem,
        },
      );
    }
  }
}

/**
 * What a redacted export hides (docs/evidence.md, "Redaction"): whole messages by id, and text
 * matching built-in patterns or custom regular expressions, replaced in place by a marker.
 */
const redactProperty = {
  type: 'object',
  additionalProperties: false,
  description:
    'hide whole messages, and/or replace personal data in message text, file names and captions by a marker; the PDF still verifies against the same sealed root (hidden and partly redacted messages present only as salted hashes with inclusion proofs)',
  properties: {
    messages: {
      type: 'array',
      maxItems: 5000,
      description: 'ids of messages hidden entirely (text, sender, time and media)',
      items: { type: 'string', minLength: 1, maxLength: 200 },
    },
    patterns: {
      type: 'array',
      maxItems: 10,
      description: `built-in kinds replaced in place: ${PATTERN_KINDS.join(', ')} (CPF and card numbers only with valid check digits)`,
      items: { type: 'string', maxLength: 40 },
    },
    regex: {
      type: 'array',
      maxItems: 50,
      description: `custom JavaScript regular expressions (case-insensitive), at most ${MAX_CUSTOM_REGEX} of at most ${MAX_CUSTOM_REGEX_LENGTH} characters; refused when they could backtrack catastrophically (nested or alternated repetition, backreferences, lookarounds) or match empty text`,
      items: { type: 'string', maxLength: 2000 },
    },
    reason: {
      type: 'string',
      maxLength: 200,
      description: 'printed in the PDF and recorded in the audit log',
    },
  },
} as const;

type RedactBody = { messages?: string[]; patterns?: string[]; regex?: string[]; reason?: string } | undefined;

const accepted = {
  202: { type: 'object', required: ['exportId'], properties: { exportId: { type: 'string' } } },
  '4xx': { $ref: 'Error#' },
} as const;

export const exportRoutes: FastifyPluginAsync<ExportRouteOptions> = async (app, opts) => {
  await registerTenantRateLimit(app, opts.access);
  async function start(
    tenantId: string,
    actor: string,
    kind: 'ticket' | 'contact',
    target: string,
    params: ExportParams | null,
    lang: PdfLang,
  ): Promise<string> {
    try {
      const { exportId } = await startExport(opts, {
        tenantId,
        actor,
        kind,
        target,
        params,
        lang,
        maxRunningPerTenant: opts.limits.maxRunningPerTenant,
      });
      return exportId;
    } catch (err) {
      if (err instanceof ExportLimitError) throw tooManyRequests(err.message, 'too_many_exports');
      throw err;
    }
  }

  /** One PDF holds at most maxMessages messages: a bigger one would tie up a worker and its memory. */
  function checkSize(messages: number, what: string) {
    if (messages > opts.limits.maxMessages)
      throw exportTooLarge(
        `${what} has ${messages} messages, more than one export may hold (EXPORT_MAX_MESSAGES=${opts.limits.maxMessages}); export a shorter date range`,
        'too_many_messages',
        { messages, max: opts.limits.maxMessages },
      );
  }

  /** The redaction asked for, checked: every id is a message of these tickets (400 naming the first that is not). */
  async function redactionOf(
    tenantId: string,
    ticketIds: string[],
    redact: RedactBody,
  ): Promise<ExportParams['redact'] | undefined> {
    if (!redact) return undefined;
    const ids = [...new Set(redact.messages ?? [])];
    const patterns = [...new Set(redact.patterns ?? [])];
    const regex = [...new Set(redact.regex ?? [])];
    const problem = checkRedaction(patterns, regex);
    if (problem) throw redactionRefusal(problem);
    if (ids.length === 0 && patterns.length === 0 && regex.length === 0)
      throw badRequest('redact: name messages, patterns or regex to redact', 'redact_empty');
    const { rows } = await opts.db.query<{ message_id: string }>(
      'select message_id from messages where tenant_id = $1 and ticket_id = any($2::text[]) and message_id = any($3::text[])',
      [tenantId, ticketIds, ids],
    );
    const known = new Set(rows.map((r) => r.message_id));
    const unknown = ids.find((id) => !known.has(id));
    if (ids.length > 0 && unknown !== undefined)
      throw badRequest(`redact.messages: ${unknown} is not a message of this export`);
    return {
      messages: ids,
      reason: redact.reason?.trim() || null,
      ...(patterns.length > 0 ? { patterns } : {}),
      ...(regex.length > 0 ? { regex } : {}),
    };
  }

  app.post<{ Params: { ticketId: string }; Body: { lang?: string; redact?: RedactBody } | undefined }>(
    '/v1/tickets/:ticketId/exports',
    {
      config: tenantRateLimitConfig(opts.exportRateLimit, 'ticket exports', 'EXPORT_RATE_LIMIT_PER_MINUTE'),
      schema: {
        tags: ['exports'],
        summary: 'Export one archived ticket as a PDF (a Temporal workflow); poll GET /v1/exports/:exportId',
        params: ticketIdParam,
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { lang: langProperty, redact: redactProperty },
        },
        response: accepted,
      },
    },
    async (req, reply) => {
      const session = await opts.access.sessionOf(req);
      const ticketId = req.params.ticketId.toLowerCase();
      const lang = requestLang(req.body, req.headers['accept-language']);
      const ticket = await readTicket(opts.db, session.tenantId, ticketId);
      if (!ticket) throw notFound(`ticket ${ticketId} is not in this archive`);
      checkSize(ticket.messageCount, `ticket ${ticketId}`);
      const redact = await redactionOf(session.tenantId, [ticketId], req.body?.redact);
      const exportId = await start(
        session.tenantId,
        session.actor,
        'ticket',
        ticketId,
        redact ? { redact } : null,
        lang,
      );
      return reply.code(202).send({ exportId });
    },
  );

  app.post<{
    Params: { identity: string };
    Body: { from?: string; to?: string; lang?: string; redact?: RedactBody } | undefined;
  }>(
    '/v1/contacts/:identity/exports',
    {
      config: tenantRateLimitConfig(opts.exportRateLimit, 'contact exports', 'EXPORT_RATE_LIMIT_PER_MINUTE'),
      schema: {
        tags: ['exports'],
        summary: "Export a contact's archived tickets (optionally closed within from–to) as one PDF",
        params: {
          type: 'object',
          required: ['identity'],
          properties: {
            identity: { type: 'string', minLength: 3, maxLength: 300, pattern: '^[^\\s/]+@[^\\s/]+$' },
          },
        },
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: {
            from: {
              type: 'string',
              maxLength: 40,
              description: 'closed on or after (2025-03-01 or ISO date-time)',
            },
            to: {
              type: 'string',
              maxLength: 40,
              description: 'closed on or before (2025-03-31 = whole day)',
            },
            lang: langProperty,
            redact: redactProperty,
          },
        },
        response: accepted,
      },
    },
    async (req, reply) => {
      const session = await opts.access.sessionOf(req);
      const { from, to } = req.body ?? {};
      const lang = requestLang(req.body, req.headers['accept-language']);
      let range: { from?: string; to?: string } = {};
      try {
        const f = from === undefined ? undefined : parseDateBound('from', from);
        const t = to === undefined ? undefined : parseDateBound('to', to);
        if (f !== undefined && t !== undefined && f > t)
          throw new SearchQueryError('from is after to', 'date_range_inverted');
        range = {
          ...(f === undefined ? {} : { from: new Date(f * 1000).toISOString() }),
          ...(t === undefined ? {} : { to: new Date(t * 1000 + 999).toISOString() }),
        };
      } catch (err) {
        if (err instanceof SearchQueryError) throw badRequest(err.message, err.reason, err.params);
        throw err;
      }
      // The tickets the export activity prints (activities/export.ts: readContactTickets, in range).
      const all = await readContactTickets(opts.db, session.tenantId, req.params.identity);
      if (all.length === 0) throw notFound(`contact ${req.params.identity} has no archived tickets here`);
      const tickets = all.filter(
        (t) =>
          (!range.from || (t.closedAt ?? '') >= range.from) && (!range.to || (t.closedAt ?? '') <= range.to),
      );
      checkSize(
        tickets.reduce((n, t) => n + t.messageCount, 0),
        `the export of contact ${req.params.identity}${range.from || range.to ? ' in this range' : ''}`,
      );
      const redact = await redactionOf(
        session.tenantId,
        tickets.map((t) => t.ticketId),
        req.body?.redact,
      );
      const exportId = await start(
        session.tenantId,
        session.actor,
        'contact',
        req.params.identity,
        redact ? { ...range, redact } : range,
        lang,
      );
      return reply.code(202).send({ exportId });
    },
  );

  app.get<{ Params: { exportId: string } }>(
    '/v1/exports/:exportId',
    {
      config: tenantRateLimitConfig(opts.readRateLimit, 'export reads', 'READ_RATE_LIMIT_PER_MINUTE'),
      schema: {
        tags: ['exports'],
        summary: 'State of an export; when done, a short-lived signed URL to the PDF',
        params: {
          type: 'object',
          required: ['exportId'],
          properties: { exportId: { type: 'string', format: 'uuid' } },
        },
        response: {
          200: {
            type: 'object',
            required: ['exportId', 'status'],
            properties: {
              exportId: { type: 'string' },
              status: { type: 'string', enum: ['running', 'done', 'failed'] },
              url: { type: 'string' },
              fileName: { type: 'string', description: 'the name the signed URL saves the PDF as' },
              lang: { type: 'string' },
              sha256: { type: 'string' },
              pages: { type: 'integer' },
              size: { type: 'integer' },
              error: { type: 'string' },
            },
          },
          '4xx': { $ref: 'Error#' },
        },
      },
    },
    async (req) => {
      const session = await opts.access.sessionOf(req);
      const record = await getExport(opts.db, req.params.exportId, session.tenantId);
      if (!record) throw notFound(`export ${req.params.exportId} does not exist`);
      if (record.status === 'failed')
        return { exportId: record.exportId, status: 'failed', error: record.error ?? 'unknown error' };
      if (record.status !== 'done' || !record.storageKey)
        return { exportId: record.exportId, status: 'running' };
      const fileName = downloadNameOf(record);
      const url = await opts.store.signedReadUrl(record.storageKey, {
        expiresInSeconds: opts.signedUrlTtlSeconds,
        downloadName: fileName,
      });
      await writeAudit(opts.db, {
        tenantId: session.tenantId,
        actor: session.actor,
        action: 'export.download',
        target: exportAuditTarget(opts.box, record),
        details: { exportId: record.exportId },
      });
      return {
        exportId: record.exportId,
        status: 'done',
        url,
        fileName,
        lang: record.lang ?? undefined,
        sha256: record.sha256 ?? undefined,
        pages: record.pages ?? undefined,
        size: record.size ?? undefined,
      };
    },
  );

  app.get<{ Params: { ticketId: string } }>(
    '/v1/tickets/:ticketId/verify',
    {
      config: tenantRateLimitConfig(opts.readRateLimit, 'verifications', 'READ_RATE_LIMIT_PER_MINUTE'),
      schema: {
        tags: ['tickets'],
        summary:
          "Recompute every displayed field from the stored raw bytes and media, check the ticket's latest seal (signature, chain) and name what differs",
        params: ticketIdParam,
        response: {
          200: {
            type: 'object',
            required: ['ok', 'version', 'digest', 'problems'],
            properties: {
              ok: { type: 'boolean' },
              version: {
                type: 'integer',
                enum: [1, 2],
                description: 'seal version checked (1: archived before seal v2, not re-sealed yet)',
              },
              digest: { type: 'string', description: 'recomputed from what is stored now' },
              sealedDigest: nullableString,
              sealId: nullableString,
              sealedAt: nullableString,
              keyId: nullableString,
              problems: { type: 'array', items: problemSchema },
            },
          },
          '4xx': { $ref: 'Error#' },
        },
      },
    },
    async (req) => {
      const session = await opts.access.sessionOf(req);
      const ticketId = req.params.ticketId.toLowerCase();
      const result = await opts.verifyConcurrency.run(session.tenantId, () =>
        verifyTicket(opts.db, opts.store, session.tenantId, ticketId, opts.sealKeys),
      );
      if (!result) throw notFound(`ticket ${ticketId} is not in this archive`);
      await writeAudit(opts.db, {
        tenantId: session.tenantId,
        actor: session.actor,
        action: 'ticket.verify',
        target: ticketId,
      });
      return result;
    },
  );
};
