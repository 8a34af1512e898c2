import type { Contact, Ticket } from '../blip/domain';
import { jsonParam, stripNul } from './nul';
import type { Db } from './pool';

/**
 * The tickets table: Blip's ticket and contact as fetched (upserted on every fetch, so a re-run
 * refreshes them), and the seal written once the whole ticket is archived.
 */

export interface TicketUpsert {
  tenantId: string;
  ticket: Ticket;
  contact: Contact | null;
  /** For router bots: the real customer identity behind the tunnel. */
  tunnelOriginator: string | null;
}

const text = (value: string | null | undefined) => (value == null ? null : stripNul(value));

export async function upsertTicket(db: Db, input: TicketUpsert): Promise<void> {
  const { ticket: t, contact: c } = input;
  await db.query(
    `insert into tickets (tenant_id, ticket_id, sequential_id, sequential_suffix, customer_identity,
        customer_domain, channel, contact_identity, contact_name, contact_phone, contact_email, contact,
        tunnel_originator, agent_identity, team, status, closed, closed_by, tags, storage_date,
        open_date, close_date, parent_sequential_id, raw)
     values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12::jsonb,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24::jsonb)
     on conflict (tenant_id, ticket_id) do update set
        sequential_id = excluded.sequential_id, sequential_suffix = excluded.sequential_suffix,
        customer_identity = excluded.customer_identity, customer_domain = excluded.customer_domain,
        channel = excluded.channel, contact_identity = excluded.contact_identity,
        contact_name = excluded.contact_name, contact_phone = excluded.contact_phone,
        contact_email = excluded.contact_email, contact = excluded.contact,
        tunnel_originator = excluded.tunnel_originator, agent_identity = excluded.agent_identity,
        team = excluded.team, status = excluded.status, closed = excluded.closed,
        closed_by = excluded.closed_by, tags = excluded.tags, storage_date = excluded.storage_date,
        open_date = excluded.open_date, close_date = excluded.close_date,
        parent_sequential_id = excluded.parent_sequential_id, raw = excluded.raw, updated_at = now()`,
    [
      input.tenantId,
      t.id,
      t.sequentialId,
      text(t.sequentialSuffix),
      text(t.customerIdentity) ?? '',
      text(t.customerDomain),
      t.channel,
      text(c?.identity),
      text(c?.name),
      text(c?.phoneNumber),
      text(c?.email),
      jsonParam(c?.raw ?? null),
      text(input.tunnelOriginator),
      text(t.agentIdentity),
      text(t.team),
      text(t.status),
      t.closed,
      text(t.closedBy),
      t.tags.map(stripNul),
      t.storageDate,
      t.openDate,
      t.closeDate,
      t.parentSequentialId,
      jsonParam(t.raw),
    ],
  );
}

/** What the later archive steps need to know about a fetched ticket. */
export interface TicketForArchive {
  tenantId: string;
  ticketId: string;
  customerIdentity: string;
  viaTunnel: boolean;
  /** This ticket's part of the customer's thread: storage (or open) date to close date. */
  windowStart: Date | null;
  windowEnd: Date | null;
  archivedAt: Date | null;
  digest: string | null;
}

export class TicketNotFetchedError extends Error {
  override name = 'TicketNotFetchedError';
  readonly retryable = false;
  constructor(tenantId: string, ticketId: string) {
    super(`ticket ${ticketId} of tenant ${tenantId} has not been fetched from Blip yet`);
  }
}

export async function ticketForArchive(
  db: Db,
  tenantId: string,
  ticketId: string,
): Promise<TicketForArchive> {
  const { rows } = await db.query<{
    customer_identity: string;
    customer_domain: string | null;
    window_start: Date | null;
    window_end: Date | null;
    archived_at: Date | null;
    digest: string | null;
  }>(
    `select customer_identity, customer_domain, coalesce(storage_date, open_date) as window_start,
            close_date as window_end, archived_at, digest
       from tickets where tenant_id = $1 and ticket_id = $2`,
    [tenantId, ticketId],
  );
  const r = rows[0];
  if (!r) throw new TicketNotFetchedError(tenantId, ticketId);
  return {
    tenantId,
    ticketId,
    customerIdentity: r.customer_identity,
    viaTunnel: r.customer_identity.endsWith('@tunnel.msging.net'),
    windowStart: r.window_start,
    windowEnd: r.window_end,
    archivedAt: r.archived_at,
    digest: r.digest,
  };
}

export async function isTicketArchived(db: Db, tenantId: string, ticketId: string): Promise<boolean> {
  const { rows } = await db.query(
    'select 1 from tickets where tenant_id = $1 and ticket_id = $2 and archived_at is not null',
    [tenantId, ticketId],
  );
  return rows.length > 0;
}

export async function markTicketIndexed(db: Db, tenantId: string, ticketId: string): Promise<void> {
  await db.query('update tickets set indexed_at = now() where tenant_id = $1 and ticket_id = $2', [
    tenantId,
    ticketId,
  ]);
}
