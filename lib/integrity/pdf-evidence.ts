import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { jcsBytes } from './jcs';
import { keyIdOf, type SealPublicKey } from './keys';
import { merkleRoot } from './merkle';
import {
  envelopeBytes,
  leafHashes,
  SEAL_DATA_FORMAT,
  SEAL_FORMAT,
  SEAL_VERSION,
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
  let keySource: SealCheck['keySource'] = null;
  const signed = envelopeBytes(env);
  const sig = Buffer.from(e.signature, 'base64');
  const check = (key: KeyObject) => {
    try {
      return verify(null, signed, key, sig);
    } catch {
      return false;
    }
  };
  if (trusted) {
    keySource = 'trusted';
    const key = trusted.keys.find((k) => k.keyId === env.keyId);
    if (!key)
      problem(
        'key',
        `the seal names signing key ${env.keyId}, which is not among the trusted keys from ${trusted.source} (${trusted.keys.map((k) => k.keyId).join(', ')})`,
      );
    else if (!check(key.publicKey))
      problem('signature', `the seal's signature does not verify with trusted key ${env.keyId}`);
  } else {
    keySource = 'embedded';
    const embedded = (e.publicKeys ?? []).find((k) => k?.keyId === env.keyId);
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
  }

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
