/**
 * The names operators and code share with Temporal, in one place: task queue default, workflow
 * types, workflow ids and search attributes (registered by the local stack and in production).
 */
export const WORKFLOW = {
  archiveTicket: 'archiveTicket',
  exportTicketPdf: 'exportTicketPdf',
  exportContactPdf: 'exportContactPdf',
  backfillTenant: 'backfillTenant',
  reindexSearch: 'reindexSearch',
  applyRetention: 'applyRetention',
  applyRetentionAll: 'applyRetentionAll',
  eraseContact: 'eraseContact',
  resealTickets: 'resealTickets',
  extractMediaText: 'extractMediaText',
} as const;

/** The query every long ops workflow (backfill, reindex) answers with its counters. */
export const PROGRESS_QUERY = 'progress';

export const SEARCH_ATTRIBUTE = { tenantId: 'TenantId', ticketId: 'TicketId' } as const;

export const archiveWorkflowId = (tenantId: string, ticketId: string) => `archive/${tenantId}/${ticketId}`;

/** The text inside one ticket's media (issue 18): started by its archive, after the seal. */
export const mediaTextWorkflowId = (tenantId: string, ticketId: string) =>
  `media-text/${tenantId}/${ticketId}`;

/**
 * The task queue of the media-text workflows and activities: the archive's own queue with this
 * suffix, so the archive workflow derives it from where it runs (deterministic, no config in
 * workflow code) and OCR has its own workers and concurrency.
 */
export const MEDIA_TEXT_QUEUE_SUFFIX = '-media-text';
export const mediaTextTaskQueue = (archiveQueue: string) => `${archiveQueue}${MEDIA_TEXT_QUEUE_SUFFIX}`;

/** One backfill per tenant and range: re-running the same command finds the same workflow. */
export const backfillWorkflowId = (tenantId: string, from: string, to: string) =>
  `backfill/${tenantId}/${from}/${to}`;

/** One full reindex at a time (`reindex/all`), or one per tenant. */
export const reindexWorkflowId = (tenantId?: string) => `reindex/${tenantId ?? 'all'}`;

/** Seal v1 tickets as v2: one run per tenant (`reseal/<tenant>`) or for all (`reseal/all`). */
export const resealWorkflowId = (tenantId?: string) => `reseal/${tenantId ?? 'all'}`;

/** One retention run per tenant at a time; the schedule starts `retention/all`. */
export const retentionWorkflowId = (tenantId?: string) => `retention/${tenantId ?? 'all'}`;
export const RETENTION_SCHEDULE_ID = 'retention-daily';

/**
 * Erasure requests are keyed by a fingerprint of the identity, so the contact is not named in the
 * workflow id (ids stay visible in the Temporal UI long after the data is gone).
 */
export const erasureWorkflowId = (tenantId: string, identityFingerprint: string, requestId: string) =>
  `erase/${tenantId}/${identityFingerprint.replace(/^[a-z0-9-]+:/, '').slice(0, 16)}/${requestId}`;

/**
 * Failures no retry can fix, for every workflow's activity options: a revoked key, a ticket Blip
 * does not have, a tenant we do not know or that was disabled, a stored key that does not open
 * with this installation's ARCHIVE_ENCRYPTION_KEY.
 */
export const NON_RETRYABLE_ERRORS = [
  'BlipAuthError',
  'BlipNotFoundError',
  'BlipCommandError',
  'InvalidBotKeyError',
  'TenantNotFoundError',
  'TenantDisabled',
  'TicketNotFetchedError',
  'SecretBoxError',
];

/** Export workflows are keyed by their export id, under the tenant. */
export const exportWorkflowId = (tenantId: string, exportId: string) => `export/${tenantId}/${exportId}`;
