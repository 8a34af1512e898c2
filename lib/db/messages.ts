import type { Message } from '../blip/domain';
import { messageHash } from '../integrity/digest';
import { jsonParam, stripNul } from './nul';
import type { Db } from './pool';

/**
 * Messages as Blip returned them, one row each, keyed by (tenant, ticket, message id). `raw` keeps
 * the exact JSON of the item (U+0000 included) and `raw_sha256` is the message's evidence hash;
 * the media links found in it are recorded as `pending` rows for the mirror.
 */

export interface MessageRowInput {
  message: Message;
  /** 0-based position in the order Blip returned the thread (ascending). */
  position: number;
  inTicketWindow: boolean;
}

/** The exact bytes we keep for a message item: deterministic, so a re-archive hashes the same. */
export function rawBytesOf(message: Message): Buffer {
  return Buffer.from(JSON.stringify(message.raw), 'utf8');
}

/** Column order of the insert below; the jsonb ones are cast from JSON text. */
const MESSAGE_COLUMNS = [
  'tenant_id',
  'ticket_id',
  'message_id',
  'position',
  'direction',
  'sender',
  'sent_at',
  'type',
  'text',
  'content',
  'raw',
  'raw_sha256',
  'reason',
  'metadata',
  'in_ticket_window',
  'status',
] as const;
const JSONB_COLUMNS = new Set(['content', 'reason', 'metadata']);

/** `($1,$2::jsonb,…),(…)` for `rowCount` rows of `columns`. */
function valueTuples(columns: readonly string[], rowCount: number): string {
  const tuples: string[] = [];
  for (let row = 0; row < rowCount; row++) {
    const params = columns.map((col, i) => {
      const p = `$${row * columns.length + i + 1}`;
      return JSONB_COLUMNS.has(col) ? `${p}::jsonb` : p;
    });
    tuples.push(`(${params.join(',')})`);
  }
  return tuples.join(',');
}

/** Upserts one page of messages (one statement) and records their media links as pending. */
export async function upsertMessages(
  db: Db,
  tenantId: string,
  ticketId: string,
  rows: readonly MessageRowInput[],
): Promise<{ media: number }> {
  if (rows.length === 0) return { media: 0 };
  const values: unknown[] = [];
  for (const { message: m, position, inTicketWindow } of rows) {
    const raw = rawBytesOf(m);
    values.push(
      tenantId,
      ticketId,
      m.id,
      position,
      m.direction,
      m.sender === null ? null : stripNul(m.sender),
      m.sentAt,
      stripNul(m.type),
      m.text,
      jsonParam(m.raw.content ?? null),
      raw,
      messageHash(raw),
      jsonParam(m.reason),
      jsonParam(m.metadata),
      inTicketWindow,
      m.status === null ? null : stripNul(m.status),
    );
  }
  const client = await db.connect();
  try {
    await client.query('begin');
    await client.query(
      `insert into messages (${MESSAGE_COLUMNS.join(', ')})
       values ${valueTuples(MESSAGE_COLUMNS, rows.length)}
       on conflict (tenant_id, ticket_id, message_id) do update set
          position = excluded.position, direction = excluded.direction, sender = excluded.sender,
          sent_at = excluded.sent_at, type = excluded.type, text = excluded.text,
          content = excluded.content, raw = excluded.raw, raw_sha256 = excluded.raw_sha256,
          reason = excluded.reason, metadata = excluded.metadata,
          in_ticket_window = excluded.in_ticket_window, status = excluded.status, updated_at = now()`,
      values,
    );
    const media = await recordMediaLinks(client, tenantId, ticketId, rows);
    await client.query('commit');
    return { media };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

type Queryable = Pick<Db, 'query'>;

/**
 * One media row per link sent in a message (links inside a quoted reply belong to the quoted
 * message). A link already stored or given up keeps its result; a pending one takes the newest URI.
 */
async function recordMediaLinks(
  db: Queryable,
  tenantId: string,
  ticketId: string,
  rows: readonly MessageRowInput[],
): Promise<number> {
  const values: unknown[] = [];
  const tuples: string[] = [];
  for (const { message } of rows) {
    const own = message.media.filter((ref) => !ref.quoted);
    own.forEach((ref, ordinal) => {
      const b = values.length;
      tuples.push(`($${b + 1},$${b + 2},$${b + 3},$${b + 4},$${b + 5},$${b + 6},$${b + 7},$${b + 8})`);
      values.push(
        tenantId,
        ticketId,
        message.id,
        ordinal,
        stripNul(ref.uri),
        stripNul(ref.contentType),
        ref.size ?? null,
        ref.title === undefined ? null : stripNul(ref.title),
      );
    });
  }
  if (tuples.length === 0) return 0;
  await db.query(
    `insert into media (tenant_id, ticket_id, message_id, ordinal, original_uri, declared_type, declared_size, title)
     values ${tuples.join(',')}
     on conflict (tenant_id, ticket_id, message_id, ordinal) do update set
        original_uri = excluded.original_uri, declared_type = excluded.declared_type,
        declared_size = excluded.declared_size, title = excluded.title
      where media.status = 'pending'`,
    values,
  );
  return tuples.length;
}

export interface StoredMessage {
  messageId: string;
  position: number;
  direction: string;
  sender: string | null;
  sentAt: Date | null;
  type: string;
  text: string;
  inTicketWindow: boolean;
  rawSha256: string;
}

/** A ticket's messages in archive order, a page at a time (for indexing and reading). */
export async function messagesPage(
  db: Queryable,
  tenantId: string,
  ticketId: string,
  afterPosition: number,
  limit: number,
): Promise<StoredMessage[]> {
  const { rows } = await db.query<{
    message_id: string;
    position: number;
    direction: string;
    sender: string | null;
    sent_at: Date | null;
    type: string;
    text: string;
    in_ticket_window: boolean;
    raw_sha256: string;
  }>(
    `select message_id, position, direction, sender, sent_at, type, text, in_ticket_window, raw_sha256
       from messages where tenant_id = $1 and ticket_id = $2 and position > $3
      order by position limit $4`,
    [tenantId, ticketId, afterPosition, limit],
  );
  return rows.map((r) => ({
    messageId: r.message_id,
    position: r.position,
    direction: r.direction,
    sender: r.sender,
    sentAt: r.sent_at,
    type: r.type,
    text: r.text,
    inTicketWindow: r.in_ticket_window,
    rawSha256: r.raw_sha256,
  }));
}
