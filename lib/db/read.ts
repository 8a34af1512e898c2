import type { Db } from './pool';

/** What the read API shows of archived tickets; every query is scoped to one tenant. */

export interface TicketView {
  ticketId: string;
  sequentialId: number | null;
  status: string | null;
  channel: string | null;
  contact: { identity: string; name: string | null; phone: string | null; email: string | null };
  tunnelOriginator: string | null;
  agent: string | null;
  team: string | null;
  tags: string[];
  closedBy: string | null;
  openedAt: string | null;
  closedAt: string | null;
  archivedAt: string | null;
  messageCount: number;
  mediaCount: number;
  /** The v1 digest (`ticket-vault-digest v1`). */
  digest: string | null;
  /** The ticket's latest v2 seal (docs/evidence.md); null for a ticket only sealed as v1. */
  seal: { version: number; sealId: string; root: string; sealedAt: string; keyId: string } | null;
}

export interface MediaView {
  ordinal: number;
  status: 'pending' | 'stored' | 'unavailable';
  contentType: string | null;
  size: number | null;
  sha256: string | null;
  title: string | null;
  reason: string | null;
  storageKey: string | null;
  /** The newest machine reading of this object (issue 18): derived, never sealed; null if not read. */
  extractedText?: {
    status: 'ok' | 'unreadable' | 'timeout' | 'failed';
    reason: string | null;
    engine: string;
    extractedAt: string;
    parts: Array<{ page: number | null; source: string; text: string }>;
  } | null;
}

export interface MessageView {
  messageId: string;
  position: number;
  direction: string;
  sender: string | null;
  sentAt: string | null;
  type: string;
  text: string;
  content: unknown;
  inTicketWindow: boolean;
  status: string | null;
  media: MediaView[];
}

const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

/** An archived ticket of this tenant, or null (unknown, another tenant's, or not archived yet). */
export async function readTicket(db: Db, tenantId: string, ticketId: string): Promise<TicketView | null> {
  const { rows } = await db.query(
    `select ticket_id, sequential_id, status, channel, coalesce(contact_identity, customer_identity) as identity,
            contact_name, contact_phone, contact_email, tunnel_originator, agent_identity, team, tags, closed_by,
            coalesce(open_date, storage_date) as opened_at, close_date, archived_at, message_count, media_count, digest,
            (select json_build_object('version', s.version, 'sealId', s.seal_id, 'root', s.root,
                                      'sealedAt', s.created_at, 'keyId', s.key_id)
               from seals s where s.tenant_id = tickets.tenant_id and s.ticket_id = tickets.ticket_id
              order by s.seq desc limit 1) as seal
       from tickets where tenant_id = $1 and ticket_id = $2 and archived_at is not null`,
    [tenantId, ticketId],
  );
  const r = rows[0];
  return r ? toTicketView(r) : null;
}

// biome-ignore lint/suspicious/noExplicitAny: a row of the select above
function toTicketView(r: any): TicketView {
  return {
    ticketId: r.ticket_id,
    sequentialId: r.sequential_id,
    status: r.status,
    channel: r.channel,
    contact: {
      identity: r.identity,
      name: r.contact_name,
      phone: r.contact_phone,
      email: r.contact_email ?? null,
    },
    tunnelOriginator: r.tunnel_originator ?? null,
    agent: r.agent_identity,
    team: r.team,
    tags: r.tags ?? [],
    closedBy: r.closed_by ?? null,
    openedAt: isoOrNull(r.opened_at),
    closedAt: isoOrNull(r.close_date),
    archivedAt: isoOrNull(r.archived_at),
    messageCount: r.message_count ?? 0,
    mediaCount: r.media_count ?? 0,
    digest: r.digest ?? null,
    seal: r.seal ? { ...r.seal, sealedAt: new Date(r.seal.sealedAt).toISOString() } : null,
  };
}

/** A page of a ticket's messages in archive order, each with its media. */
export async function readMessages(
  db: Db,
  tenantId: string,
  ticketId: string,
  afterPosition: number,
  limit: number,
): Promise<MessageView[]> {
  const { rows } = await db.query(
    `select m.message_id, m.position, m.direction, m.sender, m.sent_at, m.type, m.text, m.content,
            m.in_ticket_window, m.status,
            coalesce((select json_agg(json_build_object(
                'ordinal', a.ordinal, 'status', a.status, 'contentType', coalesce(a.content_type, a.declared_type),
                'size', coalesce(a.size, a.declared_size), 'sha256', a.sha256, 'title', a.title,
                'reason', a.reason, 'storageKey', a.storage_key,
                'extractedText', (select json_build_object('status', x.status, 'reason', x.reason,
                    'engine', x.engine_version, 'extractedAt', x.extracted_at, 'parts', x.parts)
                   from media_text x where x.tenant_id = a.tenant_id and x.sha256 = a.sha256
                  order by x.extracted_at desc limit 1)) order by a.ordinal)
               from media a
              where a.tenant_id = m.tenant_id and a.ticket_id = m.ticket_id and a.message_id = m.message_id), '[]') as media
       from messages m
      where m.tenant_id = $1 and m.ticket_id = $2 and m.position > $3
      order by m.position limit $4`,
    [tenantId, ticketId, afterPosition, limit],
  );
  return rows.map((r) => ({
    messageId: r.message_id,
    position: r.position,
    direction: r.direction,
    sender: r.sender,
    sentAt: isoOrNull(r.sent_at),
    type: r.type,
    text: r.text,
    content: r.content,
    inTicketWindow: r.in_ticket_window,
    status: r.status,
    media: r.media,
  }));
}

/** One media object of a ticket of this tenant (for issuing a signed URL). */
export async function readMedia(
  db: Db,
  tenantId: string,
  ticketId: string,
  messageId: string,
  ordinal: number,
): Promise<MediaView | null> {
  const rows = await readMessagesMedia(db, tenantId, ticketId, messageId);
  return rows.find((m) => m.ordinal === ordinal) ?? null;
}

async function readMessagesMedia(
  db: Db,
  tenantId: string,
  ticketId: string,
  messageId: string,
): Promise<MediaView[]> {
  const { rows } = await db.query(
    `select a.ordinal, a.status, coalesce(a.content_type, a.declared_type) as content_type,
            coalesce(a.size, a.declared_size) as size, a.sha256, a.title, a.reason, a.storage_key
       from media a join tickets t using (tenant_id, ticket_id)
      where a.tenant_id = $1 and a.ticket_id = $2 and a.message_id = $3 and t.archived_at is not null`,
    [tenantId, ticketId, messageId],
  );
  return rows.map((r) => ({
    ordinal: r.ordinal,
    status: r.status,
    contentType: r.content_type,
    size: r.size === null ? null : Number(r.size),
    sha256: r.sha256,
    title: r.title,
    reason: r.reason,
    storageKey: r.storage_key,
  }));
}

/** Every archived ticket of a contact (by contact or customer identity), newest first. */
export async function readContactTickets(
  db: Db,
  tenantId: string,
  identity: string,
  limit = 500,
): Promise<TicketView[]> {
  const { rows } = await db.query(
    `select ticket_id, sequential_id, status, channel, coalesce(contact_identity, customer_identity) as identity,
            contact_name, contact_phone, contact_email, tunnel_originator, agent_identity, team, tags, closed_by,
            coalesce(open_date, storage_date) as opened_at, close_date, archived_at, message_count, media_count, digest,
            (select json_build_object('version', s.version, 'sealId', s.seal_id, 'root', s.root,
                                      'sealedAt', s.created_at, 'keyId', s.key_id)
               from seals s where s.tenant_id = tickets.tenant_id and s.ticket_id = tickets.ticket_id
              order by s.seq desc limit 1) as seal
       from tickets
      where tenant_id = $1 and archived_at is not null
        and (customer_identity = $2 or contact_identity = $2 or tunnel_originator = $2)
      order by close_date desc nulls last, ticket_id
      limit $3`,
    [tenantId, identity, limit],
  );
  return rows.map(toTicketView);
}

/**
 * Agent identities that wrote in the ticket's own window (as stored, e.g. url-encoded `…@blip.ai`);
 * with the ticket's assigned agent, the cover's "agent(s)" after a transfer.
 */
export async function readTicketAgents(db: Db, tenantId: string, ticketId: string): Promise<string[]> {
  const { rows } = await db.query<{ sender: string }>(
    `select distinct sender from messages
      where tenant_id = $1 and ticket_id = $2 and in_ticket_window and direction = 'agent' and sender is not null
      order by sender`,
    [tenantId, ticketId],
  );
  return rows.map((r) => r.sender);
}

/**
 * For a multi-ticket document: which of these tickets holds each message in its own window
 * (Blip returns the customer's whole thread with every ticket, so one message is stored under
 * several tickets). The first ticket in `ticketIds` wins when windows overlap.
 */
export async function readWindowOwners(
  db: Db,
  tenantId: string,
  ticketIds: string[],
): Promise<Map<string, string>> {
  const { rows } = await db.query<{ message_id: string; ticket_id: string }>(
    `select message_id, ticket_id from messages
      where tenant_id = $1 and ticket_id = any($2::text[]) and in_ticket_window`,
    [tenantId, ticketIds],
  );
  const order = new Map(ticketIds.map((id, i) => [id, i]));
  const owners = new Map<string, string>();
  for (const r of rows) {
    const current = owners.get(r.message_id);
    if (current === undefined || (order.get(r.ticket_id) ?? 0) < (order.get(current) ?? 0))
      owners.set(r.message_id, r.ticket_id);
  }
  return owners;
}

/**
 * What a document of these tickets prints: each distinct message once (typing indicators not
 * counted) and the media of those messages, so the cover's counts match the numbered body.
 */
export async function readDocumentCounts(
  db: Db,
  tenantId: string,
  ticketIds: string[],
): Promise<{ messages: number; media: number }> {
  const { rows } = await db.query(
    `with shown as (
       select distinct on (message_id) ticket_id, message_id
         from messages
        where tenant_id = $1 and ticket_id = any($2::text[]) and type <> 'application/vnd.lime.chatstate+json'
        order by message_id, ticket_id)
     select (select count(*)::int from shown) as messages,
            (select count(*)::int from media a join shown s using (ticket_id, message_id) where a.tenant_id = $1) as media`,
    [tenantId, ticketIds],
  );
  return { messages: rows[0]?.messages ?? 0, media: rows[0]?.media ?? 0 };
}
