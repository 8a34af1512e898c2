import { createHash, randomBytes } from 'node:crypto';
import { asJson, jcs, jcsBytes } from './jcs';
import { inclusionProof, leafHash, merkleRoot, SALT_BYTES } from './merkle';

/**
 * Seal v2 (docs/evidence.md). The sealed data is everything a view or an export shows of a ticket:
 * one header record (tenant, ticket and its displayed fields) and one record per message (as
 * displayed, with its content as stored and each media's hash, size and type, or why it is
 * unavailable). Each record is a leaf of a Merkle tree (lib/integrity/merkle.ts): leaf 0 is the
 * header, leaf i + 1 the message at position i. The root is the ticket's digest, and the seal
 * envelope carrying it is signed and chained to the tenant's previous seal.
 *
 * These shapes are evidence: changing them means a version 3, and version 2 stays computable.
 */

export const SEAL_VERSION = 2;
export const SEAL_FORMAT = 'ticket-vault-seal';
export const SEAL_DATA_FORMAT = 'ticket-vault-seal-data';

export interface SealedTicketFields {
  sequentialId: number | null;
  status: string | null;
  channel: string | null;
  contactIdentity: string;
  contactName: string | null;
  contactPhone: string | null;
  contactEmail: string | null;
  tunnelOriginator: string | null;
  agent: string | null;
  team: string | null;
  tags: string[];
  closedBy: string | null;
  /** ISO 8601 UTC with milliseconds, as views show them. */
  openedAt: string | null;
  closedAt: string | null;
  messageCount: number;
  mediaCount: number;
}

export interface SealedHeader {
  format: typeof SEAL_FORMAT;
  version: typeof SEAL_VERSION;
  tenantId: string;
  ticketId: string;
  ticket: SealedTicketFields;
}

export interface SealedMedia {
  ordinal: number;
  status: 'stored' | 'unavailable';
  /** Hex SHA-256 of the stored bytes; null when unavailable. */
  sha256: string | null;
  /** Stored size in bytes, or the size Blip declared for an unavailable one. */
  size: number | null;
  contentType: string | null;
  title: string | null;
  /** Why it could not be archived; null when stored. */
  reason: string | null;
}

export interface SealedMessage {
  messageId: string;
  position: number;
  direction: string;
  sender: string | null;
  sentAt: string | null;
  type: string;
  /** The displayed (and searched) text. */
  text: string;
  /** Blip's content as stored (jsonb). */
  content: unknown;
  inTicketWindow: boolean;
  status: string | null;
  media: SealedMedia[];
}

export interface SealRecords {
  header: SealedHeader;
  /** In position order. */
  messages: SealedMessage[];
}

/** What the seals table keeps (`data`, as RFC 8785 bytes): the records and the leaf salts. */
export interface SealDocument extends SealRecords {
  format: typeof SEAL_DATA_FORMAT;
  version: typeof SEAL_VERSION;
  /** Hex, 32 bytes each: salts[0] for the header, salts[i + 1] for messages[i]. */
  salts: string[];
}

/** The signed part of a seal. */
export interface SealEnvelope {
  format: typeof SEAL_FORMAT;
  version: typeof SEAL_VERSION;
  sealId: string;
  tenantId: string;
  ticketId: string;
  /** Position in the tenant's chain: 1, 2, … */
  seq: number;
  root: string;
  leafCount: number;
  /** `sealHash` of the tenant's seal seq - 1; null for the first. */
  previousSealHash: string | null;
  createdAt: string;
  keyId: string;
}

export const sha256Hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** The records as a JSON round trip gives them (what an export holds). */
export function normalizeRecords(records: SealRecords): SealRecords {
  return asJson(records);
}

export function newSalts(count: number): string[] {
  return Array.from({ length: count }, () => randomBytes(SALT_BYTES).toString('hex'));
}

export function leafHashes(records: SealRecords, salts: readonly string[]): Buffer[] {
  const items: unknown[] = [records.header, ...records.messages];
  if (salts.length !== items.length) {
    throw new RangeError(`${items.length} records but ${salts.length} salts`);
  }
  return items.map((item, i) => leafHash(Buffer.from(salts[i] as string, 'hex'), jcsBytes(item)));
}

export function sealRoot(records: SealRecords, salts: readonly string[]): string {
  return merkleRoot(leafHashes(records, salts)).toString('hex');
}

/** Inclusion proof of leaf `index` (0 = header, i + 1 = message i), hex hashes bottom up. */
export function sealInclusionProof(doc: SealDocument, index: number): string[] {
  return inclusionProof(leafHashes(doc, doc.salts), index).map((h) => h.toString('hex'));
}

export function sealDocument(records: SealRecords, salts: string[]): SealDocument {
  return {
    format: SEAL_DATA_FORMAT,
    version: SEAL_VERSION,
    header: records.header,
    messages: records.messages,
    salts,
  };
}

/** The bytes that are signed and whose SHA-256 is the seal hash the next seal chains to. */
export function envelopeBytes(envelope: SealEnvelope): Buffer {
  return jcsBytes(envelope);
}

/** Same records (salts aside)? A re-archive of unchanged data keeps the seal it has. */
export function sameRecords(a: SealRecords, b: SealRecords): boolean {
  return jcs({ header: a.header, messages: a.messages }) === jcs({ header: b.header, messages: b.messages });
}

/** One difference between what was sealed and what is stored now, named by field. */
export interface FieldDifference {
  messageId?: string;
  ordinal?: number;
  field: string;
  sealed: unknown;
  found: unknown;
}

const same = (a: unknown, b: unknown) => jcs(a ?? null) === jcs(b ?? null);

/**
 * Field-by-field comparison of sealed and current records: ticket fields (`ticket.contactName`),
 * each message's fields (`text`, `sender`, `position`…), each media's (`media[0].sha256`), and
 * messages missing or added (`field: 'message'`).
 */
export function diffRecords(sealed: SealRecords, current: SealRecords): FieldDifference[] {
  const out: FieldDifference[] = [];
  for (const key of ['format', 'version', 'tenantId', 'ticketId'] as const) {
    if (!same(sealed.header[key], current.header[key]))
      out.push({ field: key, sealed: sealed.header[key], found: current.header[key] });
  }
  const st = sealed.header.ticket as unknown as Record<string, unknown>;
  const ct = current.header.ticket as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(st), ...Object.keys(ct)])) {
    if (!same(st[key], ct[key])) out.push({ field: `ticket.${key}`, sealed: st[key], found: ct[key] });
  }
  const now = new Map(current.messages.map((m) => [m.messageId, m]));
  const before = new Set(sealed.messages.map((m) => m.messageId));
  for (const s of sealed.messages) {
    const c = now.get(s.messageId);
    if (!c) {
      out.push({ messageId: s.messageId, field: 'message', sealed: 'present', found: 'missing' });
      continue;
    }
    const sm = s as unknown as Record<string, unknown>;
    const cm = c as unknown as Record<string, unknown>;
    for (const key of Object.keys(sm)) {
      if (key === 'media' || key === 'messageId') continue;
      if (!same(sm[key], cm[key]))
        out.push({ messageId: s.messageId, field: key, sealed: sm[key], found: cm[key] });
    }
    const cmedia = new Map(c.media.map((a) => [a.ordinal, a]));
    for (const a of s.media) {
      const b = cmedia.get(a.ordinal);
      if (!b) {
        out.push({
          messageId: s.messageId,
          ordinal: a.ordinal,
          field: `media[${a.ordinal}]`,
          sealed: 'present',
          found: 'missing',
        });
        continue;
      }
      for (const key of Object.keys(a) as Array<keyof SealedMedia>) {
        if (!same(a[key], b[key]))
          out.push({
            messageId: s.messageId,
            ordinal: a.ordinal,
            field: `media[${a.ordinal}].${key}`,
            sealed: a[key],
            found: b[key],
          });
      }
    }
    for (const b of c.media) {
      if (!s.media.some((a) => a.ordinal === b.ordinal))
        out.push({
          messageId: s.messageId,
          ordinal: b.ordinal,
          field: `media[${b.ordinal}]`,
          sealed: 'absent',
          found: 'present',
        });
    }
  }
  for (const c of current.messages) {
    if (!before.has(c.messageId))
      out.push({ messageId: c.messageId, field: 'message', sealed: 'absent', found: 'present' });
  }
  return out;
}
