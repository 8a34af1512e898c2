import { randomUUID } from 'node:crypto';
import { jcs, jcsBytes } from '../integrity/jcs';
import { type SealKeys, signBytes } from '../integrity/keys';
import {
  envelopeBytes,
  leafHashes,
  newSalts,
  normalizeRecords,
  SEAL_FORMAT,
  SEAL_VERSION,
  type SealDocument,
  type SealEnvelope,
  type SealedMedia,
  type SealedMessage,
  type SealRecords,
  sameRecords,
  sealDocument,
  sealRoot,
  sha256Hex,
} from '../integrity/seal-v2';
import type { ObjectStore } from '../storage/object-store';
import type { Db } from './pool';
import { MediaStillPendingError } from './seal';

/**
 * Seal v2 rows (migration 008): append-only, one chain per tenant. Sealing reads the ticket as the
 * views show it (lib/db/read.ts), appends a seal when that differs from the ticket's latest one,
 * and writes a copy of the signed envelope to `<tenant>/seals/<ticket>/<seal id>.json`.
 */

export interface SealRow {
  sealId: string;
  tenantId: string;
  ticketId: string;
  seq: number;
  version: number;
  root: string;
  leafCount: number;
  previousSealHash: string | null;
  sealHash: string;
  keyId: string;
  signature: string;
  createdAt: string;
  /** The sealed document's RFC 8785 bytes; null once erased. */
  data: Buffer | null;
  erasedAt: string | null;
}

type Queryable = Pick<Db, 'query'>;

const SEAL_COLUMNS = `seal_id, tenant_id, ticket_id, seq, version, root, leaf_count, previous_seal_hash, seal_hash,
  key_id, signature, created_at, data, erased_at`;

// biome-ignore lint/suspicious/noExplicitAny: a row of SEAL_COLUMNS
function toSealRow(r: any): SealRow {
  return {
    sealId: r.seal_id,
    tenantId: r.tenant_id,
    ticketId: r.ticket_id,
    seq: Number(r.seq),
    version: r.version,
    root: r.root,
    leafCount: r.leaf_count,
    previousSealHash: r.previous_seal_hash,
    sealHash: r.seal_hash,
    keyId: r.key_id,
    signature: r.signature,
    createdAt: (r.created_at as Date).toISOString(),
    data: r.data,
    erasedAt: r.erased_at ? (r.erased_at as Date).toISOString() : null,
  };
}

/** The envelope as the row's columns state it (what was signed, if nobody changed them). */
export function envelopeOf(row: SealRow): SealEnvelope {
  return {
    format: SEAL_FORMAT,
    version: SEAL_VERSION,
    sealId: row.sealId,
    tenantId: row.tenantId,
    ticketId: row.ticketId,
    seq: row.seq,
    root: row.root,
    leafCount: row.leafCount,
    previousSealHash: row.previousSealHash,
    createdAt: row.createdAt,
    keyId: row.keyId,
  };
}

export function parseSealDocument(data: Buffer): SealDocument {
  return JSON.parse(data.toString('utf8')) as SealDocument;
}

export const sealObjectKey = (tenantId: string, ticketId: string, sealId: string) =>
  `${tenantId}/seals/${ticketId}/${sealId}.json`;
export const sealObjectPrefix = (tenantId: string, ticketId: string) => `${tenantId}/seals/${ticketId}/`;

/** The ticket's seals, newest first. */
export async function sealsOfTicket(db: Queryable, tenantId: string, ticketId: string): Promise<SealRow[]> {
  const { rows } = await db.query(
    `select ${SEAL_COLUMNS} from seals where tenant_id = $1 and ticket_id = $2 order by seq desc`,
    [tenantId, ticketId],
  );
  return rows.map(toSealRow);
}

export async function sealAtSeq(db: Queryable, tenantId: string, seq: number): Promise<SealRow | null> {
  const { rows } = await db.query(`select ${SEAL_COLUMNS} from seals where tenant_id = $1 and seq = $2`, [
    tenantId,
    seq,
  ]);
  return rows[0] ? toSealRow(rows[0]) : null;
}

/** A page of the tenant's chain in order (for the whole-chain check). */
export async function sealChainPage(db: Queryable, tenantId: string, afterSeq: number, limit: number) {
  const { rows } = await db.query(
    `select ${SEAL_COLUMNS} from seals where tenant_id = $1 and seq > $2 order by seq limit $3`,
    [tenantId, afterSeq, limit],
  );
  return rows.map(toSealRow);
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Per message: its media as the database holds them (for verification too). */
export interface StoredMediaRow {
  ordinal: number;
  status: string;
  sha256: string | null;
  size: number | null;
  contentType: string | null;
  declaredType: string | null;
  title: string | null;
  reason: string | null;
  storageKey: string | null;
}

export interface StoredTicket {
  records: SealRecords;
  /** Raw facts the displayed fields are derived from (for verify). */
  ticketRaw: unknown;
  contactRaw: unknown;
  customerIdentity: string;
  botIdentity: string | null;
  messageRows: Array<{ messageId: string; raw: Buffer | null; rawSha256: string; media: StoredMediaRow[] }>;
  pendingMedia: number;
}

/**
 * The ticket as every view shows it (lib/db/read.ts, lib/pdf/export-html.ts, web/), as seal
 * records. `withRaw` also returns each message's raw bytes for verification.
 */
export async function readStoredTicket(
  db: Queryable,
  tenantId: string,
  ticketId: string,
  opts: { withRaw?: boolean } = {},
): Promise<StoredTicket | null> {
  const { rows: tickets } = await db.query(
    `select t.ticket_id, t.sequential_id, t.status, t.channel, coalesce(t.contact_identity, t.customer_identity) as identity,
            t.contact_name, t.contact_phone, t.contact_email, t.tunnel_originator, t.agent_identity, t.team, t.tags,
            t.closed_by, coalesce(t.open_date, t.storage_date) as opened_at, t.close_date, t.message_count,
            t.media_count, t.raw, t.contact, t.customer_identity, n.bot_identity
       from tickets t left join tenants n using (tenant_id)
      where t.tenant_id = $1 and t.ticket_id = $2`,
    [tenantId, ticketId],
  );
  const t = tickets[0];
  if (!t) return null;
  const { rows } = await db.query(
    `select m.message_id, m.position, m.direction, m.sender, m.sent_at, m.type, m.text, m.content,
            m.in_ticket_window, m.status, m.raw_sha256, ${opts.withRaw ? 'm.raw' : 'null::bytea as raw'},
            coalesce((select json_agg(json_build_object(
                'ordinal', a.ordinal, 'status', a.status, 'sha256', a.sha256, 'size', a.size,
                'declaredSize', a.declared_size, 'contentType', a.content_type, 'declaredType', a.declared_type,
                'title', a.title, 'reason', a.reason, 'storageKey', a.storage_key) order by a.ordinal)
               from media a
              where a.tenant_id = m.tenant_id and a.ticket_id = m.ticket_id and a.message_id = m.message_id), '[]') as media
       from messages m
      where m.tenant_id = $1 and m.ticket_id = $2
      order by m.position`,
    [tenantId, ticketId],
  );
  let pendingMedia = 0;
  const messages: SealedMessage[] = [];
  const messageRows: StoredTicket['messageRows'] = [];
  for (const r of rows) {
    const stored: StoredMediaRow[] = [];
    const media: SealedMedia[] = [];
    for (const a of r.media as Array<Record<string, unknown>>) {
      if (a.status === 'pending') pendingMedia++;
      const size = a.size ?? a.declaredSize;
      const row: StoredMediaRow = {
        ordinal: a.ordinal as number,
        status: a.status as string,
        sha256: (a.sha256 as string | null) ?? null,
        size: size === null || size === undefined ? null : Number(size),
        contentType: (a.contentType as string | null) ?? (a.declaredType as string | null) ?? null,
        declaredType: (a.declaredType as string | null) ?? null,
        title: (a.title as string | null) ?? null,
        reason: (a.reason as string | null) ?? null,
        storageKey: (a.storageKey as string | null) ?? null,
      };
      stored.push(row);
      const isStored = row.status === 'stored';
      media.push({
        ordinal: row.ordinal,
        status: isStored ? 'stored' : 'unavailable',
        sha256: isStored ? row.sha256 : null,
        size: row.size,
        contentType: row.contentType,
        title: row.title,
        reason: isStored ? null : (row.reason ?? row.status),
      });
    }
    messages.push({
      messageId: r.message_id,
      position: r.position,
      direction: r.direction,
      sender: r.sender,
      sentAt: iso(r.sent_at),
      type: r.type,
      text: r.text,
      content: r.content,
      inTicketWindow: r.in_ticket_window,
      status: r.status,
      media,
    });
    messageRows.push({ messageId: r.message_id, raw: r.raw, rawSha256: r.raw_sha256, media: stored });
  }
  const records = normalizeRecords({
    header: {
      format: SEAL_FORMAT,
      version: SEAL_VERSION,
      tenantId,
      ticketId,
      ticket: {
        sequentialId: t.sequential_id,
        status: t.status,
        channel: t.channel,
        contactIdentity: t.identity,
        contactName: t.contact_name,
        contactPhone: t.contact_phone,
        contactEmail: t.contact_email,
        tunnelOriginator: t.tunnel_originator,
        agent: t.agent_identity,
        team: t.team,
        tags: t.tags ?? [],
        closedBy: t.closed_by,
        openedAt: iso(t.opened_at),
        closedAt: iso(t.close_date),
        messageCount: t.message_count ?? 0,
        mediaCount: t.media_count ?? 0,
      },
    },
    messages,
  });
  return {
    records,
    ticketRaw: t.raw,
    contactRaw: t.contact,
    customerIdentity: t.customer_identity,
    botIdentity: t.bot_identity ?? null,
    messageRows,
    pendingMedia,
  };
}

/** Serialises a tenant's chain: the seq and previous hash are read and written under this lock. */
const chainLock = (tenantId: string) => `seals:${tenantId}`;

/**
 * Seals the ticket as it is stored now, unless its latest seal already covers exactly these
 * records (a retried activity or an unchanged re-archive adds nothing). Never updates a seal.
 */
export async function appendSeal(
  db: Db,
  keys: SealKeys,
  tenantId: string,
  ticketId: string,
): Promise<{ seal: SealRow; created: boolean }> {
  const stored = await readStoredTicket(db, tenantId, ticketId);
  if (!stored) throw new Error(`ticket ${ticketId} of tenant ${tenantId} is not in the archive`);
  if (stored.pendingMedia > 0)
    throw new MediaStillPendingError(`ticket ${ticketId}: ${stored.pendingMedia} media still pending`);
  const { records } = stored;
  const client = await db.connect();
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [chainLock(tenantId)]);
    const latest = (await sealsOfTicket(client, tenantId, ticketId))[0];
    if (latest?.data && sameRecords(parseSealDocument(latest.data), records)) {
      await client.query('commit');
      return { seal: latest, created: false };
    }
    const { rows } = await client.query<{ seq: string; seal_hash: string }>(
      'select seq, seal_hash from seals where tenant_id = $1 order by seq desc limit 1',
      [tenantId],
    );
    const previous = rows[0];
    const salts = newSalts(records.messages.length + 1);
    const doc = sealDocument(records, salts);
    const envelope: SealEnvelope = {
      format: SEAL_FORMAT,
      version: SEAL_VERSION,
      sealId: randomUUID(),
      tenantId,
      ticketId,
      seq: previous ? Number(previous.seq) + 1 : 1,
      root: sealRoot(records, salts),
      leafCount: salts.length,
      previousSealHash: previous?.seal_hash ?? null,
      createdAt: new Date().toISOString(),
      keyId: keys.keyId,
    };
    const bytes = envelopeBytes(envelope);
    const inserted = await client.query(
      `insert into seals (seal_id, tenant_id, ticket_id, seq, version, root, leaf_count, previous_seal_hash,
                          seal_hash, key_id, signature, created_at, data)
       values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) returning ${SEAL_COLUMNS}`,
      [
        envelope.sealId,
        tenantId,
        ticketId,
        envelope.seq,
        envelope.version,
        envelope.root,
        envelope.leafCount,
        envelope.previousSealHash,
        sha256Hex(bytes),
        envelope.keyId,
        signBytes(keys, bytes),
        envelope.createdAt,
        jcsBytes(doc),
      ],
    );
    await client.query('commit');
    return { seal: toSealRow(inserted.rows[0]), created: true };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * The object-store copy of a seal: the signed envelope, its signature and hash, and the leaf
 * hashes (salted, so they reveal nothing of the content). No personal data: it can sit behind a
 * bucket retention policy and outlive an erasure.
 */
export function sealObject(seal: SealRow): Record<string, unknown> {
  const doc = seal.data ? parseSealDocument(seal.data) : null;
  return {
    envelope: envelopeOf(seal),
    signature: seal.signature,
    sealHash: seal.sealHash,
    leafHashes: doc ? leafHashes(doc, doc.salts).map((h) => h.toString('hex')) : null,
  };
}

/** Writes the copy once (a retry finds it there). */
export async function storeSealObject(store: ObjectStore, seal: SealRow): Promise<void> {
  await store.putIfAbsent(
    sealObjectKey(seal.tenantId, seal.ticketId, seal.sealId),
    Buffer.from(jcs(sealObject(seal))),
    {
      contentType: 'application/json',
      metadata: { sealHash: seal.sealHash, seq: String(seal.seq) },
    },
  );
}

export async function readSealObject(
  store: ObjectStore,
  key: string,
): Promise<Record<string, unknown> | null> {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of store.get(key)) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return null;
  }
}

/**
 * Erasure and retention: the seal's data (records and salts) is removed with the ticket; the
 * envelope, root, signature and chain stay, so the tenant's chain still verifies and the seal
 * still proves that a ticket with this id was sealed then. Run inside the purge's transaction.
 */
export async function eraseSealData(db: Queryable, tenantId: string, ticketId: string): Promise<number> {
  const r = await db.query(
    'update seals set data = null, erased_at = now() where tenant_id = $1 and ticket_id = $2 and data is not null',
    [tenantId, ticketId],
  );
  return r.rowCount ?? 0;
}
