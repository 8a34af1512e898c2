import type { Client } from '@temporalio/client';
import {
  BlipAuthError,
  createBlipClient,
  InvalidBotKeyError,
  isBlipError,
  parseBotKey,
} from '../../lib/blip';
import type { SecretBox } from '../../lib/crypto';
import type { Db } from '../../lib/db/pool';
import { botAccess } from '../../lib/db/tenant-access';
import { getTenant, tenantKeyMatches, upsertTenant } from '../../lib/db/tenants';
import { isTicketArchived } from '../../lib/db/tickets';
import type { Metrics } from '../../lib/metrics';
import { createArchiveStarter } from '../../lib/temporal/archive-starter';
import type { TicketHistoryOptions } from '../routes/tickethistory';
import { createTenantAdmission, type KeyVerdict } from './tenant-admission';

/** Wires the webhook route to Postgres, Blip and Temporal. */
export interface WebhookDeps {
  db: Db;
  box: SecretBox;
  temporal: Client;
  taskQueue: string;
  defaultCommandsUrl: string;
  allowedBots: string[];
  blipTimeoutMs: number;
  bodyLimit: number;
  rateLimit: { max: number; timeWindowMs: number };
  /** See TenantAdmissionDeps.keyCacheTtlMs. */
  keyCacheTtlMs?: number;
  metrics?: Metrics;
}

/** One `get /ticket/{id}` with the presented key: Blip answering at all (even "not found") accepts it. */
export async function verifyKeyWithBlip(
  commandsUrl: string,
  authorization: string,
  ticketId: string,
  timeoutMs: number,
): Promise<KeyVerdict> {
  const blip = createBlipClient({ baseUrl: commandsUrl, authorization, timeoutMs, retry: { retries: 1 } });
  try {
    await blip.getTicket(ticketId);
    return 'accepted';
  } catch (err) {
    if (err instanceof BlipAuthError || err instanceof InvalidBotKeyError) return 'rejected';
    if (isBlipError(err) && !err.retryable) return 'accepted';
    return 'unreachable';
  } finally {
    await blip.close();
  }
}

export function createWebhookOptions(deps: WebhookDeps): TicketHistoryOptions {
  const admission = createTenantAdmission({
    parseKey: (authorization) => parseBotKey(authorization),
    allowedBots: deps.allowedBots,
    botAccess: (identifier) => botAccess(deps.db, identifier, deps.allowedBots),
    defaultCommandsUrl: deps.defaultCommandsUrl,
    findTenant: (tenantId) => getTenant(deps.db, tenantId),
    keyMatches: (tenantId, authorization) => tenantKeyMatches(deps.db, deps.box, tenantId, authorization),
    verifyWithBlip: (url, authorization, ticketId) =>
      verifyKeyWithBlip(url, authorization, ticketId, deps.blipTimeoutMs),
    saveTenant: (t) => upsertTenant(deps.db, deps.box, t),
    keyCacheTtlMs: deps.keyCacheTtlMs ?? 0,
  });
  return {
    bodyLimit: deps.bodyLimit,
    rateLimit: deps.rateLimit,
    onAccepted: (status) => deps.metrics?.webhooks.inc({ outcome: status }),
    admitTenant: admission.admitTenant,
    verifiedTenant: admission.verifiedTenant,
    startArchive: createArchiveStarter(deps.temporal, deps.taskQueue, (tenantId, ticketId) =>
      isTicketArchived(deps.db, tenantId, ticketId),
    ),
  };
}
