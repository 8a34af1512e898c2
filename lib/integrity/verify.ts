import { createHash } from 'node:crypto';
import type { Db } from '../db/pool';
import {
  envelopeOf,
  parseSealDocument,
  readSealObject,
  readStoredTicket,
  type SealRow,
  sealAtSeq,
  sealChainPage,
  sealObjectPrefix,
  sealsOfTicket,
} from '../db/seals';
import type { ObjectStore } from '../storage/object-store';
import { type DigestMessage, ticketDigest } from './digest';
import { jcs } from './jcs';
import { type SealKeys, verifySignature } from './keys';
import { recomputeFromRaw } from './recompute';
import { diffRecords, envelopeBytes, type SealDocument, sealRoot, sha256Hex } from './seal-v2';

/**
 * `verify` of one ticket, from what is stored now:
 *
 * 1. every displayed field recomputed from the raw bytes Blip sent (lib/integrity/recompute.ts);
 * 2. every stored media object read back and hashed;
 * 3. for a v2 ticket, its latest seal: the signature, the sealed data against the signed root, the
 *    links to the tenant's previous and next seals, the object-store copies, and a field-by-field
 *    comparison of the sealed records with what the views show now;
 * 4. for a v1 ticket (archived before seal v2 and not re-sealed yet): the v1 digest as before.
 *
 * `ok` only when nothing differs; each problem names the message, media and field.
 */
export interface VerifyProblem {
  kind: 'field' | 'message' | 'media' | 'seal' | 'chain' | 'digest';
  /** What the field was compared with: the seal, the raw bytes Blip sent, or the stored object. */
  source?: 'seal' | 'raw' | 'storage';
  messageId?: string;
  ordinal?: number;
  field?: string;
  expected?: unknown;
  found?: unknown;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  version: 1 | 2;
  /** The digest recomputed from the stored data (v2: the Merkle root with the sealed salts). */
  digest: string;
  sealedDigest: string | null;
  sealId: string | null;
  sealedAt: string | null;
  keyId: string | null;
  problems: VerifyProblem[];
}

export type PublicKeys = Pick<SealKeys, 'publicKeys'>;

/** Long texts and content are named, not echoed in full. */
function brief(value: unknown): unknown {
  if (typeof value === 'string') return value.length > 200 ? `${value.slice(0, 200)}…` : value;
  if (value !== null && typeof value === 'object') {
    const text = jcs(value);
    return text.length > 200 ? `${text.slice(0, 200)}…` : value;
  }
  return value;
}

async function hashObject(store: ObjectStore, key: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of store.get(key)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

const where = (p: { messageId?: string; ordinal?: number; field?: string }) =>
  [p.messageId ? `message ${p.messageId}` : 'ticket', p.field].filter(Boolean).join(' ');

export async function verifyTicket(
  db: Db,
  store: ObjectStore,
  tenantId: string,
  ticketId: string,
  keys: () => Promise<PublicKeys>,
): Promise<VerifyResult | null> {
  const { rows: found } = await db.query<{ digest: string | null }>(
    'select digest from tickets where tenant_id = $1 and ticket_id = $2 and archived_at is not null',
    [tenantId, ticketId],
  );
  if (found.length === 0) return null;
  const v1Digest = found[0]?.digest ?? null;
  const stored = await readStoredTicket(db, tenantId, ticketId, { withRaw: true });
  if (!stored) return null;
  const problems: VerifyProblem[] = [];

  // 1. Displayed fields against the raw bytes.
  const raw = recomputeFromRaw(stored);
  for (const d of raw.differences) {
    const p = {
      kind: 'field' as const,
      source: 'raw' as const,
      ...d,
      expected: brief(d.expected),
      found: brief(d.found),
    };
    problems.push({
      ...p,
      message:
        d.field === 'raw'
          ? `message ${d.messageId}: content changed since it was archived (raw bytes no longer match their hash)`
          : `${where(d)}: shown value differs from what Blip sent`,
    });
  }
  for (const u of raw.unreadable)
    problems.push({ kind: 'field', source: 'raw', message: `unreadable raw data: ${u}` });

  // 2. Media bytes against their recorded hash and size.
  const storageHashes = new Map<string, string | null>();
  for (const row of stored.messageRows) {
    for (const a of row.media) {
      if (a.status !== 'stored' || !a.storageKey) continue;
      const base = {
        kind: 'media' as const,
        source: 'storage' as const,
        messageId: row.messageId,
        ordinal: a.ordinal,
      };
      try {
        const object = await hashObject(store, a.storageKey);
        storageHashes.set(`${row.messageId}#${a.ordinal}`, object.sha256);
        if (object.sha256 !== a.sha256)
          problems.push({
            ...base,
            field: `media[${a.ordinal}].sha256`,
            expected: a.sha256,
            found: object.sha256,
            message: `media ${row.messageId}#${a.ordinal}: bytes changed since archived`,
          });
        else if (a.size !== null && object.size !== a.size)
          problems.push({
            ...base,
            field: `media[${a.ordinal}].size`,
            expected: a.size,
            found: object.size,
            message: `media ${row.messageId}#${a.ordinal}: size differs from the record`,
          });
      } catch {
        storageHashes.set(`${row.messageId}#${a.ordinal}`, null);
        problems.push({
          ...base,
          field: `media[${a.ordinal}]`,
          message: `media ${row.messageId}#${a.ordinal}: missing from storage`,
        });
      }
    }
  }

  // 3. Seals: the database rows and the object-store copies.
  const seals = await sealsOfTicket(db, tenantId, ticketId);
  problems.push(...(await checkStoredCopies(store, tenantId, ticketId, seals)));
  const latest = seals[0];
  if (!latest) {
    // 4. v1: digest over message ids, raw hashes and media hashes.
    const items: DigestMessage[] = stored.messageRows.map((row) => ({
      messageId: row.messageId,
      rawSha256: row.raw ? sha256Hex(row.raw) : row.rawSha256,
      media: row.media.map((a) => {
        const fromStore = storageHashes.get(`${row.messageId}#${a.ordinal}`);
        return {
          ordinal: a.ordinal,
          status: a.status,
          sha256: (fromStore === undefined ? a.sha256 : fromStore) ?? '0'.repeat(64),
        };
      }),
    }));
    let digest = '';
    try {
      digest = ticketDigest(items);
    } catch (err) {
      problems.push({ kind: 'digest', message: `cannot compute the v1 digest: ${(err as Error).message}` });
    }
    if (digest !== v1Digest)
      problems.push({
        kind: 'digest',
        expected: v1Digest,
        found: digest,
        message: 'the recomputed digest differs from the sealed one',
      });
    return {
      ok: problems.length === 0,
      version: 1,
      digest,
      sealedDigest: v1Digest,
      sealId: null,
      sealedAt: null,
      keyId: null,
      problems,
    };
  }

  const publicKeys = await keys();
  problems.push(...checkSealRow(latest, publicKeys));
  problems.push(...(await checkChainLinks(db, latest)));
  let digest = '';
  if (!latest.data) {
    problems.push({ kind: 'seal', message: `seal ${latest.sealId}: its data was erased` });
  } else {
    let doc: SealDocument | null = null;
    try {
      doc = parseSealDocument(latest.data);
      if (sealRoot(doc, doc.salts) !== latest.root)
        problems.push({
          kind: 'seal',
          source: 'seal',
          message: `seal ${latest.sealId}: the sealed data no longer hashes to the signed root`,
        });
    } catch (err) {
      problems.push({
        kind: 'seal',
        message: `seal ${latest.sealId}: unreadable sealed data (${(err as Error).message})`,
      });
    }
    if (doc) {
      for (const d of diffRecords(doc, stored.records)) {
        const isMessage = d.field === 'message';
        problems.push({
          kind: isMessage ? 'message' : d.field.startsWith('media') ? 'media' : 'field',
          source: 'seal',
          messageId: d.messageId,
          ordinal: d.ordinal,
          field: d.field,
          expected: brief(d.sealed),
          found: brief(d.found),
          message: isMessage
            ? `message ${d.messageId}: ${d.found === 'missing' ? 'sealed but no longer stored' : 'stored but not in the seal'}`
            : `${where(d)}: differs from the sealed value`,
        });
      }
      digest = currentRoot(doc, stored.records);
      if (digest !== latest.root && !problems.some((p) => p.source === 'seal'))
        problems.push({
          kind: 'digest',
          expected: latest.root,
          found: digest,
          message: 'the recomputed root differs from the sealed one',
        });
    }
  }
  return {
    ok: problems.length === 0,
    version: 2,
    digest,
    sealedDigest: latest.root,
    sealId: latest.sealId,
    sealedAt: latest.createdAt,
    keyId: latest.keyId,
    problems,
  };
}

/** The root of the current records with the sealed salts (a message the seal lacks gets no salt: zeros). */
function currentRoot(doc: SealDocument, current: SealDocument | Parameters<typeof sealRoot>[0]): string {
  const saltOf = new Map(doc.messages.map((m, i) => [m.messageId, doc.salts[i + 1] as string]));
  const salts = [
    doc.salts[0] as string,
    ...current.messages.map((m) => saltOf.get(m.messageId) ?? '0'.repeat(64)),
  ];
  return sealRoot(current, salts);
}

/** The row against itself: the envelope its columns state hashes and verifies as recorded. */
export function checkSealRow(seal: SealRow, keys: PublicKeys): VerifyProblem[] {
  const problems: VerifyProblem[] = [];
  const bytes = envelopeBytes(envelopeOf(seal));
  if (sha256Hex(bytes) !== seal.sealHash)
    problems.push({
      kind: 'seal',
      message: `seal #${seal.seq} (${seal.sealId}): its fields no longer hash to the recorded seal hash`,
    });
  const verdict = verifySignature(keys, seal.keyId, bytes, seal.signature);
  if (verdict === 'unknown-key')
    problems.push({
      kind: 'seal',
      message: `seal #${seal.seq} (${seal.sealId}): signed with key ${seal.keyId}, which this installation does not publish`,
    });
  else if (verdict === 'invalid')
    problems.push({
      kind: 'seal',
      message: `seal #${seal.seq} (${seal.sealId}): the signature does not match its fields`,
    });
  return problems;
}

/** Links of one seal to its neighbours in the tenant's chain. */
async function checkChainLinks(db: Db, seal: SealRow): Promise<VerifyProblem[]> {
  const problems: VerifyProblem[] = [];
  const hashOf = (s: SealRow) => sha256Hex(envelopeBytes(envelopeOf(s)));
  if (seal.seq === 1) {
    if (seal.previousSealHash !== null)
      problems.push({
        kind: 'chain',
        message: `seal #1 (${seal.sealId}) names a previous seal that cannot exist`,
      });
  } else {
    const previous = await sealAtSeq(db, seal.tenantId, seal.seq - 1);
    if (!previous)
      problems.push({
        kind: 'chain',
        message: `chain broken: the tenant's seal #${seal.seq - 1}, before this ticket's seal #${seal.seq}, is missing`,
      });
    else if (hashOf(previous) !== seal.previousSealHash)
      problems.push({
        kind: 'chain',
        message: `chain broken: seal #${seal.seq - 1} is not the seal #${seal.seq} was chained to`,
      });
  }
  const { rows } = await db.query<{ next: string | null }>(
    'select min(seq) as next from seals where tenant_id = $1 and seq > $2',
    [seal.tenantId, seal.seq],
  );
  const nextSeq = rows[0]?.next === null || rows[0]?.next === undefined ? null : Number(rows[0].next);
  if (nextSeq !== null) {
    const next = nextSeq === seal.seq + 1 ? await sealAtSeq(db, seal.tenantId, nextSeq) : null;
    if (!next)
      problems.push({
        kind: 'chain',
        message: `chain broken: the tenant's seal #${seal.seq + 1}, after this ticket's seal, is missing`,
      });
    else if (next.previousSealHash !== hashOf(seal))
      problems.push({
        kind: 'chain',
        message: `chain broken: seal #${next.seq} was chained to a different seal #${seal.seq}`,
      });
  }
  return problems;
}

/** Each seal copy in the object store has its row, and the latest row has its copy, with the same envelope. */
async function checkStoredCopies(
  store: ObjectStore,
  tenantId: string,
  ticketId: string,
  seals: SealRow[],
): Promise<VerifyProblem[]> {
  const problems: VerifyProblem[] = [];
  const byId = new Map(seals.map((s) => [s.sealId, s]));
  const objects = await store.list(sealObjectPrefix(tenantId, ticketId));
  const ids = new Set<string>();
  for (const { key } of objects) {
    const sealId = key.slice(key.lastIndexOf('/') + 1).replace(/\.json$/, '');
    ids.add(sealId);
    const row = byId.get(sealId);
    if (!row) {
      problems.push({
        kind: 'chain',
        message: `seal ${sealId} is in the object store (${key}) but missing from the database`,
      });
      continue;
    }
    const copy = await readSealObject(store, key);
    if (!copy || jcs(copy.envelope ?? null) !== jcs(envelopeOf(row)) || copy.signature !== row.signature)
      problems.push({
        kind: 'seal',
        message: `seal #${row.seq} (${sealId}): the database row differs from its object-store copy`,
      });
  }
  const latest = seals[0];
  if (latest && !ids.has(latest.sealId))
    problems.push({
      kind: 'seal',
      message: `seal #${latest.seq} (${latest.sealId}) has no copy in the object store`,
    });
  return problems;
}

/** The whole chain of a tenant: consecutive seq, each link, each hash and signature. */
export async function verifyTenantChain(
  db: Db,
  tenantId: string,
  keys: PublicKeys,
): Promise<{ seals: number; problems: VerifyProblem[] }> {
  const problems: VerifyProblem[] = [];
  let previous: SealRow | null = null;
  let count = 0;
  for (let after = 0; ; ) {
    const page = await sealChainPage(db, tenantId, after, 1000);
    if (page.length === 0) break;
    for (const seal of page) {
      count++;
      problems.push(...checkSealRow(seal, keys));
      const expectedSeq = previous ? previous.seq + 1 : 1;
      if (seal.seq !== expectedSeq)
        problems.push({
          kind: 'chain',
          message: `chain broken: seals #${expectedSeq}–#${seal.seq - 1} are missing`,
        });
      else if (previous && seal.previousSealHash !== sha256Hex(envelopeBytes(envelopeOf(previous))))
        problems.push({
          kind: 'chain',
          message: `chain broken: seal #${seal.seq} was chained to a different seal #${previous.seq}`,
        });
      else if (!previous && seal.previousSealHash !== null)
        problems.push({
          kind: 'chain',
          message: `chain broken: seal #${seal.seq} names a previous seal that is missing`,
        });
      previous = seal;
    }
    after = previous?.seq ?? after;
  }
  return { seals: count, problems };
}
