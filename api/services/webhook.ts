import type { Client } from '@temporalio/client';
import { parseBotKey } from '../../lib/blip';
import { checkKeyWithBlip, type KeyCheck } from '../../lib/blip/key-check';
import type { SecretBox } from '../../lib/crypto';
import type { Db } from '../../lib/db/pool';
import { inTransaction } from '../../lib/db/pool';
import { insertTenantEvent } from '../../lib/db/tenant-sessions';
import { getTenant, tenantKeyMatches, upsertTenant } from '../../lib/db/tenants';
import { isTicketArchived } from '../../lib/db/tickets';
import { ticketState, webhookChecks } from '../../lib/db/webhook-checks';
import type { Metrics } from '../../lib/metrics';
import { createArchiveStarter } from '../../lib/temporal/archive-starter';
import type { TicketHistoryOptions } from '../routes/tickethistory';
import { createTenantAdmission } from './tenant-admission';

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

/**
 * One `get /ticket/{id}` with the presented key, failing closed: only the ticket itself or Blip's
 * documented "not found" admits the key (lib/blip/key-check.ts).
 */
export function verifyKeyWithBlip(
  commandsUrl: string,
  authorization: string,
  ticketId: string,
  timeoutMs: number,
): Promise<KeyCheck> {
  return checkKeyWithBlip({ commandsUrl, authorization, ticketId, timeoutMs });
}

/** Stores a key Blip accepted; a new tenant or a changed key goes to its history and the audit log. */
export async function saveAdmittedKey(
  db: Db,
  box: SecretBox,
  t: { tenantId: string; botIdentity: string; authorization: string },
): Promise<void> {
  // One transaction: a key change is never stored without its history and audit entry.
  await inTransaction(db, async (q) => {
    const { created, keyChanged } = await upsertTenant(q as Db, box, t);
    if (created || keyChanged) {
      await insertTenantEvent(q, {
        tenantId: t.tenantId,
        event: created ? 'key-stored' : 'key-changed',
        actor: 'webhook (key checked with Blip)',
        details: keyChanged ? { sessionsRevoked: true } : {},
      });
    }
  });
}

export function createWebhookOptions(deps: WebhookDeps): TicketHistoryOptions {
  const admission = createTenantAdmission({
    parseKey: (authorization) => parseBotKey(authorization),
    allowedBots: deps.allowedBots,
    // The bot's access and the ticket's state in one statement (one Postgres round trip per webhook
    // while the key is cached); admission hands the state on only when it is still current.
    botAccess: (identifier, ticketId) =>
      webhookChecks(deps.db, deps.box, identifier, ticketId, deps.allowedBots),
    defaultCommandsUrl: deps.defaultCommandsUrl,
    findTenant: (tenantId) => getTenant(deps.db, tenantId),
    keyMatches: (tenantId, authorization) => tenantKeyMatches(deps.db, deps.box, tenantId, authorization),
    verifyWithBlip: (url, authorization, ticketId) =>
      verifyKeyWithBlip(url, authorization, ticketId, deps.blipTimeoutMs),
    saveTenant: (t) => saveAdmittedKey(deps.db, deps.box, t),
    keyCacheTtlMs: deps.keyCacheTtlMs ?? 0,
  });
  return {
    bodyLimit: deps.bodyLimit,
    rateLimit: deps.rateLimit,
    onAccepted: (status) => deps.metrics?.webhooks.inc({ outcome: status }),
    admitTenant: admission.admitTenant,
    verifiedTenant: admission.verifiedTenant,
    startArchive: createArchiveStarter(
      deps.temporal,
      deps.taskQueue,
      (tenantId, ticketId) => ticketState(deps.db, deps.box, tenantId, ticketId),
      (tenantId, ticketId) => isTicketArchived(deps.db, tenantId, ticketId),
    ),
  };
}
