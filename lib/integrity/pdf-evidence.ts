import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { jcsBytes } from './jcs';
import { keyIdOf, type SealPublicKey } from './keys';
import { inclusionProof, leafHash, merkleRoot, verifyInclusion } from './merkle';
import {
  envelopeBytes,
  leafHashes,
  SEAL_DATA_FORMAT,
  SEAL_FORMAT,
  SEAL_VERSION,
  type SealDocument as SealDoc,
  type SealDocument,
  type SealEnvelope,
} from './seal-v2';

/**
 * What an exported PDF carries about each ticket's seal (attachment `ticket-<id>.seal.json`), so the
 * PDF can be checked offline with `ticket-vault verify-pdf` (docs/evidence.md):
 * - `document`: the sealed records and their salts, exactly what the Merkle root is computed from;
 * - `envelope`, `signature`: the signed seal (Ed25519 over the envelope's RFC 8785 bytes);
 * - `leaves`: each record's leaf hash. Not signed by itself: the verifier only trusts it after
 *   recomputing the signed root from it, and then uses it to name which record was changed;
 * - `publicKeys`: the published keys (as at `/.well-known/ticket-vault-keys`) that signed seals at
 *   export time. A key found only here proves integrity, not origin.
 */
export const PDF_EVIDENCE_FORMAT = 'ticket-vault-pdf-seal';
export const PDF_EVIDENCE_VERSION = 1;

export interface PublishedKey {
  keyId: string;
  status?: string;
  algorithm?: string;
  publicKeyPem: string;
}

export interface PdfSealEvidence {
  format: typeof PDF_EVIDENCE_FORMAT;
  version: typeof PDF_EVIDENCE_VERSION;
  /** The export's language: the verifier prints the message bodies as the PDF did. */
  lang: string;
  document: SealDocument;
  envelope: SealEnvelope;
  signature: string;
  leaves: string[];
  publicKeys: PublishedKey[];
  /** Where the installation publishes its keys (for a trusted check of origin). */
  keysUrl: string;
  /** Signed with a generated local-development key: not evidence. */
  development: boolean;
  /**
   * What `verify` found when the PDF was made: the stored ticket (what the pages show) recomputed
   * against this seal, the raw bytes and the media objects. Not ok means the pages may show values
   * that were changed after sealing; each difference is named. Covered by the PDF's signature.
   */
  atExport?: AtExportCheck;
}

export interface AtExportCheck {
  checkedAt: string;
  ok: boolean;
  problems: Array<{
    source?: string;
    messageId?: string;
    ordinal?: number;
    field?: string;
    expected?: unknown;
    found?: unknown;
    message: string;
  }>;
}

export const evidenceFileName = (ticketId: string) => `ticket-${ticketId}.seal.json`;

export function buildPdfSealEvidence(input: {
  lang: string;
  document: SealDocument;
  envelope: SealEnvelope;
  signature: string;
  publicKeys: PublishedKey[];
  keysUrl: string;
  development: boolean;
  atExport?: AtExportCheck;
}): PdfSealEvidence {
  return {
    format: PDF_EVIDENCE_FORMAT,
    version: PDF_EVIDENCE_VERSION,
    lang: input.lang,
    document: input.document,
    envelope: input.envelope,
    signature: input.signature,
    leaves: leafHashes(input.document, input.document.salts).map((h) => h.toString('hex')),
    publicKeys: input.publicKeys,
    keysUrl: input.keysUrl,
    development: input.development,
    ...(input.atExport ? { atExport: input.atExport } : {}),
  };
}

const shown = (v: unknown) => {
  const t = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v ?? null);
  return t.length > 120 ? `${t.slice(0, 117)}…` : t;
};

/** The export-time differences as verify-pdf names them: field, sealed value, value then stored. */
export function atExportProblems(ticketId: string, at: AtExportCheck | undefined): EvidenceProblem[] {
  if (!at || at.ok || !Array.isArray(at.problems)) return [];
  return at.problems.slice(0, 200).map((p) => ({
    ticketId,
    what: `archive at export${p.messageId ? `: message ${p.messageId}` : ''}${p.field ? ` ${p.field}` : ''}`,
    detail: `${p.message}${p.expected !== undefined || p.found !== undefined ? ` (sealed ${shown(p.expected)}, stored ${shown(p.found)})` : ''}`,
  }));
}

/** One finding; `what` names the record and field, or `signature` / `key`. */
export interface EvidenceProblem {
  ticketId: string;
  what: string;
  detail: string;
}

export interface TrustedKeys {
  keys: Array<Pick<SealPublicKey, 'keyId' | 'publicKey'>>;
  source: string;
  /** The published JSON said `development: true`. */
  development?: boolean;
}

/** Whether the JSON `/.well-known/ticket-vault-keys` serves marks the keys as a development key. */
export function isDevelopmentKeyList(text: string): boolean {
  try {
    return (JSON.parse(text) as { development?: unknown })?.development === true;
  } catch {
    return false;
  }
}

/** Public keys from a PEM/base64 file or the JSON `/.well-known/ticket-vault-keys` publishes. */
export function parseKeyList(text: string): Array<Pick<SealPublicKey, 'keyId' | 'publicKey'>> {
  const trimmed = text.trim();
  let pems: string[];
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const parsed = JSON.parse(trimmed) as { keys?: unknown } | unknown[];
    const list = Array.isArray(parsed) ? parsed : (parsed as { keys?: unknown }).keys;
    if (!Array.isArray(list)) throw new Error('the JSON has no "keys" list');
    pems = list.map((k, i) => {
      const pem = (k as { publicKeyPem?: unknown })?.publicKeyPem;
      if (typeof pem !== 'string') throw new Error(`key #${i + 1} has no publicKeyPem`);
      return pem;
    });
  } else if (trimmed.includes('-----BEGIN')) {
    pems = trimmed.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
  } else {
    pems = trimmed.split(/[\s,]+/).filter(Boolean);
  }
  if (pems.length === 0) throw new Error('no public key found');
  return pems.map((p, i) => {
    let key: KeyObject;
    try {
      key = p.startsWith('-----BEGIN')
        ? createPublicKey({ key: p, format: 'pem' })
        : createPublicKey({ key: Buffer.from(p, 'base64'), format: 'der', type: 'spki' });
    } catch {
      throw new Error(`key #${i + 1} is not a PEM or base64 SPKI public key`);
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`key #${i + 1} is not an Ed25519 key`);
    return { keyId: keyIdOf(key), publicKey: key };
  });
}

const isHex = (s: unknown, bytes: number) =>
  typeof s === 'string' && s.length === bytes * 2 && /^[0-9a-f]+$/.test(s);

export interface SealCheck {
  ticketId: string;
  root: string;
  sealId: string;
  keyId: string;
  records: number;
  /** `trusted`: checked with a key the user gave; `embedded`: only with the PDF's own key. */
  keySource: 'trusted' | 'embedded' | null;
  problems: EvidenceProblem[];
}

const recordName = (doc: SealDocument, i: number) =>
  i === 0
    ? 'header record (ticket fields)'
    : `message record ${i} (${doc.messages[i - 1]?.messageId ?? '?'}, position ${doc.messages[i - 1]?.position ?? '?'})`;

/**
 * The Ed25519 signature over the envelope: with a trusted key when given (its id must be the
 * envelope's keyId), else with the key embedded in the PDF, whose thumbprint must be that id.
 */
function checkEnvelopeSignature(
  env: SealEnvelope,
  signature: string,
  embeddedKeys: PublishedKey[] | undefined,
  trusted: TrustedKeys | null,
  problem: (what: string, detail: string) => void,
): SealCheck['keySource'] {
  const signed = envelopeBytes(env);
  const sig = Buffer.from(signature, 'base64');
  const check = (key: KeyObject) => {
    try {
      return verify(null, signed, key, sig);
    } catch {
      return false;
    }
  };
  if (trusted) {
    const key = trusted.keys.find((k) => k.keyId === env.keyId);
    if (!key)
      problem(
        'key',
        `the seal names signing key ${env.keyId}, which is not among the trusted keys from ${trusted.source} (${trusted.keys.map((k) => k.keyId).join(', ')})`,
      );
    else if (!check(key.publicKey))
      problem('signature', `the seal's signature does not verify with trusted key ${env.keyId}`);
    return 'trusted';
  }
  const embedded = (embeddedKeys ?? []).find((k) => k?.keyId === env.keyId);
  let key: KeyObject | null = null;
  try {
    key = embedded ? (parseKeyList(embedded.publicKeyPem)[0]?.publicKey ?? null) : null;
  } catch {
    key = null;
  }
  if (!key) problem('key', `the PDF carries no usable public key with id ${env.keyId}`);
  else if (keyIdOf(key) !== env.keyId)
    problem(
      'key',
      `the embedded key's thumbprint is ${keyIdOf(key)}, not the id ${env.keyId} the seal names`,
    );
  else if (!check(key)) problem('signature', `the seal's signature does not verify with key ${env.keyId}`);
  return 'embedded';
}

/**
 * Checks one attachment: its shape, the signature on the envelope (with a trusted key when given,
 * else the embedded one, whose id must be its own thumbprint), and the Merkle root recomputed
 * from the embedded records against the signed root, naming the records that differ.
 */
export function checkSealEvidence(raw: unknown, fileName: string, trusted: TrustedKeys | null): SealCheck {
  const e = raw as Partial<PdfSealEvidence>;
  const bad = (what: string, detail: string): SealCheck => ({
    ticketId: e?.envelope?.ticketId ?? fileName,
    root: '',
    sealId: '',
    keyId: '',
    records: 0,
    keySource: null,
    problems: [{ ticketId: e?.envelope?.ticketId ?? fileName, what, detail }],
  });
  if (!e || e.format !== PDF_EVIDENCE_FORMAT || e.version !== PDF_EVIDENCE_VERSION)
    return bad(fileName, `not a ${PDF_EVIDENCE_FORMAT} v${PDF_EVIDENCE_VERSION} attachment`);
  const doc = e.document;
  const env = e.envelope;
  if (
    !doc ||
    !env ||
    doc.format !== SEAL_DATA_FORMAT ||
    doc.version !== SEAL_VERSION ||
    env.format !== SEAL_FORMAT ||
    env.version !== SEAL_VERSION ||
    !doc.header ||
    !Array.isArray(doc.messages) ||
    !Array.isArray(doc.salts) ||
    !doc.salts.every((s) => isHex(s, 32)) ||
    typeof e.signature !== 'string' ||
    !Array.isArray(e.leaves)
  )
    return bad(fileName, 'the attachment is incomplete (document, envelope, signature or leaves missing)');

  const ticketId = env.ticketId;
  const problems: EvidenceProblem[] = [];
  const problem = (what: string, detail: string) => problems.push({ ticketId, what, detail });

  // The signature: over the envelope as embedded, by the key it names.
  const keySource = checkEnvelopeSignature(env, e.signature, e.publicKeys, trusted, problem);

  // The envelope must be about these records.
  const header = doc.header;
  if (header.ticketId !== env.ticketId)
    problem('header.ticketId', `records are of ticket ${header.ticketId}, the seal of ${env.ticketId}`);
  if (header.tenantId !== env.tenantId)
    problem('header.tenantId', `records are of tenant ${header.tenantId}, the seal of ${env.tenantId}`);
  const count = 1 + doc.messages.length;
  // What the check found so far: returned early when the records cannot be hashed, else at the end.
  const result = (): SealCheck => ({
    ticketId,
    root: env.root,
    sealId: env.sealId,
    keyId: env.keyId,
    records: count,
    keySource,
    problems,
  });
  if (count !== env.leafCount)
    problem(
      'records',
      `${count} records embedded, the seal counts ${env.leafCount} (a record added or removed)`,
    );
  if (doc.salts.length !== count) {
    problem('salts', `${doc.salts.length} salts for ${count} records`);
    return result();
  }

  const leaves = leafHashes(doc, doc.salts);
  const root = merkleRoot(leaves).toString('hex');
  if (root !== env.root) {
    // Which record? The listed leaf hashes are trusted only if they give the signed root.
    const listed = e.leaves.filter((l) => isHex(l, 32));
    const listedRoot =
      listed.length === e.leaves.length && listed.length > 0
        ? merkleRoot(listed.map((l) => Buffer.from(l, 'hex'))).toString('hex')
        : null;
    const named: string[] = [];
    if (listedRoot === env.root && listed.length === count) {
      leaves.forEach((h, i) => {
        if (h.toString('hex') !== listed[i]) named.push(recordName(doc, i));
      });
    }
    if (named.length > 0)
      for (const n of named) problem(n, 'differs from what was sealed (its leaf hash is not the sealed one)');
    else
      problem(
        'root',
        `the Merkle root recomputed from the embedded records is ${root}, the signed root is ${env.root}`,
      );
  }
  // The archive said at export that what it stores (and the pages show) differs from this seal.
  problems.push(...atExportProblems(ticketId, e.atExport));
  return result();
}

/** The canonical bytes of an attachment (what the export writes). */
export const evidenceBytes = (e: PdfSealEvidence) => jcsBytes(e);

/**
 * A redacted export (docs/evidence.md, "Redaction"): the same signed seal, but only the records
 * the PDF shows are disclosed. Per leaf of the seal's Merkle tree, in order:
 * - shown: the record, its salt and its RFC 9162 inclusion proof (audit path) to the signed root;
 * - hidden: only its salted leaf hash and inclusion proof. The salt is 32 random bytes, so the
 *   hash reveals nothing of the hidden text, media or sender, yet the full list of leaf hashes
 *   still recomputes the signed root: nothing was added, removed or reordered.
 */
export const PDF_REDACTED_EVIDENCE_VERSION = 2;

export type RedactedLeaf =
  | { index: number; shown: { record: unknown; salt: string }; proof: string[] }
  | {
      index: number;
      /**
       * `shownRedacted`: the pages print this message with parts replaced by markers (pattern
       * redaction), so its record cannot be disclosed; it is proven by its leaf hash only, and
       * verify-pdf names it as shown redacted, not proven word for word. Absent: hidden entirely.
       */
      hidden: { leafHash: string; position: number; shownRedacted?: { messageId: string } };
      proof: string[];
    };

export interface RedactedSealEvidence {
  format: typeof PDF_EVIDENCE_FORMAT;
  version: typeof PDF_REDACTED_EVIDENCE_VERSION;
  lang: string;
  leafCount: number;
  leaves: RedactedLeaf[];
  /**
   * Who redacted, when, why, and how many messages: hidden entirely (their ids are not listed),
   * and shown with parts replaced by pattern (`patterns`: the kinds; `customPatterns`: how many
   * custom expressions, whose text is not disclosed). Covered by the PDF signature, not the seal.
   */
  redaction: {
    by: string;
    at: string;
    reason: string | null;
    hiddenMessages: number;
    shownRedactedMessages?: number;
    patterns?: string[];
    customPatterns?: number;
  };
  envelope: SealEnvelope;
  signature: string;
  publicKeys: PublishedKey[];
  keysUrl: string;
  development: boolean;
  atExport?: AtExportCheck;
}

export function buildRedactedSealEvidence(input: {
  lang: string;
  document: SealDoc;
  hide: ReadonlySet<string>;
  /** Of `hide`, the messages the pages still show with parts replaced (pattern redaction). */
  shownRedacted?: ReadonlySet<string>;
  redaction: { by: string; at: string; reason: string | null; patterns?: string[]; customPatterns?: number };
  envelope: SealEnvelope;
  signature: string;
  publicKeys: PublishedKey[];
  keysUrl: string;
  development: boolean;
  atExport?: AtExportCheck;
}): RedactedSealEvidence {
  const doc = input.document;
  const hashes = leafHashes(doc, doc.salts);
  const proof = (i: number) => inclusionProof(hashes, i).map((h) => h.toString('hex'));
  const leaves: RedactedLeaf[] = [
    { index: 0, shown: { record: doc.header, salt: doc.salts[0] as string }, proof: proof(0) },
  ];
  let hidden = 0;
  let partly = 0;
  doc.messages.forEach((m, i) => {
    const index = i + 1;
    if (input.hide.has(m.messageId)) {
      const inPlace = input.shownRedacted?.has(m.messageId) ?? false;
      if (inPlace) partly++;
      else hidden++;
      leaves.push({
        index,
        hidden: {
          leafHash: (hashes[index] as Buffer).toString('hex'),
          position: m.position,
          ...(inPlace ? { shownRedacted: { messageId: m.messageId } } : {}),
        },
        proof: proof(index),
      });
    } else
      leaves.push({ index, shown: { record: m, salt: doc.salts[index] as string }, proof: proof(index) });
  });
  // What verify found at export, minus anything about a hidden message (it would disclose it).
  const atExport = input.atExport && {
    ...input.atExport,
    problems: input.atExport.problems.filter((p) => !p.messageId || !input.hide.has(p.messageId)),
  };
  return {
    format: PDF_EVIDENCE_FORMAT,
    version: PDF_REDACTED_EVIDENCE_VERSION,
    lang: input.lang,
    leafCount: hashes.length,
    leaves,
    redaction: {
      ...input.redaction,
      hiddenMessages: hidden,
      ...(partly > 0 || input.redaction.patterns ? { shownRedactedMessages: partly } : {}),
    },
    envelope: input.envelope,
    signature: input.signature,
    publicKeys: input.publicKeys,
    keysUrl: input.keysUrl,
    development: input.development,
    ...(atExport ? { atExport } : {}),
  };
}

/** The records a redacted attachment discloses, as the text check and the comparison read them. */
export function shownMessages(e: RedactedSealEvidence): SealDoc['messages'] {
  return e.leaves
    .filter((l): l is Extract<RedactedLeaf, { shown: unknown }> => 'shown' in l && l.index > 0)
    .map((l) => l.shown.record as SealDoc['messages'][number]);
}

export interface RedactedCheck extends SealCheck {
  shown: number;
  /** Hidden entirely. */
  hidden: number;
  /** Shown on the pages with parts replaced: proven by leaf hash only, not word for word. */
  shownRedacted: Array<{ leaf: number; position: number; messageId: string }>;
}

/** Checks a redacted attachment: signature, each leaf's inclusion proof, and the whole root. */
export function checkRedactedEvidence(
  raw: unknown,
  fileName: string,
  trusted: TrustedKeys | null,
): RedactedCheck {
  const e = raw as Partial<RedactedSealEvidence>;
  const env = e.envelope;
  const ticketId = env?.ticketId ?? fileName;
  const problems: EvidenceProblem[] = [];
  const problem = (what: string, detail: string) => problems.push({ ticketId, what, detail });
  const base = {
    ticketId,
    root: env?.root ?? '',
    sealId: env?.sealId ?? '',
    keyId: env?.keyId ?? '',
    shown: 0,
    hidden: 0,
    shownRedacted: [] as RedactedCheck['shownRedacted'],
  };
  if (
    !env ||
    env.format !== SEAL_FORMAT ||
    env.version !== SEAL_VERSION ||
    !Array.isArray(e.leaves) ||
    typeof e.signature !== 'string' ||
    !isHex(env.root, 32)
  )
    return {
      ...base,
      records: 0,
      keySource: null,
      problems: [
        {
          ticketId,
          what: fileName,
          detail: 'the redacted attachment is incomplete (envelope, signature or leaves missing)',
        },
      ],
    };
  const keySource = checkEnvelopeSignature(env, e.signature, e.publicKeys, trusted, problem);
  const root = Buffer.from(env.root, 'hex');
  const hashes: Buffer[] = [];
  let shown = 0;
  let hidden = 0;
  if (e.leaves.length !== env.leafCount)
    problem(
      'records',
      `${e.leaves.length} leaves embedded, the seal counts ${env.leafCount} (a record added or removed)`,
    );
  e.leaves.forEach((l, i) => {
    const proof =
      Array.isArray(l?.proof) && l.proof.every((p) => isHex(p, 32))
        ? l.proof.map((p) => Buffer.from(p, 'hex'))
        : null;
    let hash: Buffer | null = null;
    let name = i === 0 ? 'header record (ticket fields)' : `leaf ${i}`;
    if (l && 'shown' in l && l.shown && isHex(l.shown.salt, 32)) {
      const rec = l.shown.record as {
        messageId?: string;
        position?: number;
        ticketId?: string;
        tenantId?: string;
      };
      if (i > 0) {
        shown++;
        name = `message record ${i} (${rec?.messageId ?? '?'}, position ${rec?.position ?? '?'})`;
      } else {
        if (rec?.ticketId !== env.ticketId)
          problem('header.ticketId', `records are of ticket ${rec?.ticketId}, the seal of ${env.ticketId}`);
        if (rec?.tenantId !== env.tenantId)
          problem('header.tenantId', `records are of tenant ${rec?.tenantId}, the seal of ${env.tenantId}`);
      }
      hash = leafHash(Buffer.from(l.shown.salt, 'hex'), jcsBytes(l.shown.record));
    } else if (l && 'hidden' in l && l.hidden && isHex(l.hidden.leafHash, 32) && i > 0) {
      const inPlace = l.hidden.shownRedacted;
      if (inPlace && typeof inPlace.messageId === 'string') {
        base.shownRedacted.push({ leaf: i, position: l.hidden.position, messageId: inPlace.messageId });
        name = `redacted message record ${i} (${inPlace.messageId}, position ${l.hidden.position})`;
      } else {
        hidden++;
        name = `hidden message record ${i} (position ${l.hidden.position})`;
      }
      hash = Buffer.from(l.hidden.leafHash, 'hex');
    }
    if (!hash || l.index !== i) {
      problem(name, 'malformed or out of order');
      return;
    }
    hashes.push(hash);
    if (!proof || !verifyInclusion(hash, i, env.leafCount, proof, root))
      problem(name, 'differs from what was sealed (its inclusion proof does not reach the signed root)');
  });
  if (
    problems.length === 0 &&
    hashes.length === env.leafCount &&
    merkleRoot(hashes).toString('hex') !== env.root
  )
    problem('root', 'the leaves do not recompute the signed root');
  problems.push(...atExportProblems(ticketId, e.atExport));
  return { ...base, records: e.leaves.length, keySource, problems, shown, hidden };
}
