import { createHash } from 'node:crypto';

/**
 * Integrity hashes for the archive. These definitions are part of the evidence: the PDF tells
 * people how to recompute them, so they must never change silently. A new format gets a new
 * version line (`ticket-vault-digest v2`) and the old one stays computable.
 */

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Message ids are opaque Blip strings; anything that could break the line format is refused. */
const SAFE_TOKEN = /^[^\s]+$/;

/** SHA-256 (lower-case hex) of the exact bytes of a message item as Blip sent it (`messages.raw`). */
export function messageHash(rawBytes: Buffer): string {
  return createHash('sha256').update(rawBytes).digest('hex');
}

export interface DigestMedia {
  ordinal: number;
  /** `stored` (contributes its sha256) or `unavailable`; anything else (pending) is refused. */
  status: string;
  sha256: string | null;
}

export interface DigestMessage {
  messageId: string;
  rawSha256: string;
  media: DigestMedia[];
}

export class DigestInputError extends Error {
  override name = 'DigestInputError';
}

export const DIGEST_VERSION_LINE = 'ticket-vault-digest v1';

/**
 * The canonical text the ticket digest is computed over (UTF-8, every line ends with `\n`):
 *
 * ```
 * ticket-vault-digest v1
 * m <messageId> <sha256 of the message's raw bytes>
 * a <ordinal> <sha256 of the media bytes | unavailable>
 * ...
 * ```
 *
 * - One `m` line per message in archive order (`messages.position`, ascending: the order Blip
 *   returned them, oldest first), i.e. the order of `items` — callers pass them already ordered.
 * - After each `m` line, one `a` line per media object of that message in ascending `ordinal`
 *   (0-based position of the link inside the message content). A media object that was stored
 *   contributes the sha-256 of its bytes; one that could not be archived is written as
 *   `unavailable`, so a missing file is recorded in the digest rather than silently dropped.
 * - Hashes are lower-case hex. The digest is the lower-case hex SHA-256 of the whole text.
 *
 * To verify by hand: list the messages and media from the archive, write the lines above, and
 * run `sha256sum` on the file.
 */
export function canonicalDigestText(items: readonly DigestMessage[]): string {
  const lines: string[] = [DIGEST_VERSION_LINE];
  for (const item of items) {
    if (!SAFE_TOKEN.test(item.messageId)) {
      throw new DigestInputError('message id is empty or contains whitespace');
    }
    if (!SHA256_HEX.test(item.rawSha256)) {
      throw new DigestInputError(`message ${item.messageId} has no valid sha-256`);
    }
    lines.push(`m ${item.messageId} ${item.rawSha256}`);
    const media = [...item.media].sort((a, b) => a.ordinal - b.ordinal);
    for (const m of media) {
      if (!Number.isInteger(m.ordinal) || m.ordinal < 0) {
        throw new DigestInputError(`message ${item.messageId} has a media with a bad ordinal`);
      }
      if (m.status !== 'stored' && m.status !== 'unavailable') {
        // A pending download must finish (or be given up) before a ticket is sealed.
        throw new DigestInputError(`media ${item.messageId}#${m.ordinal} is ${m.status}, not final`);
      }
      let hash = 'unavailable';
      if (m.status === 'stored') {
        if (!m.sha256 || !SHA256_HEX.test(m.sha256)) {
          throw new DigestInputError(`stored media ${item.messageId}#${m.ordinal} has no valid sha-256`);
        }
        hash = m.sha256;
      }
      lines.push(`a ${m.ordinal} ${hash}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The ticket digest: SHA-256 hex of `canonicalDigestText(items)`. */
export function ticketDigest(items: readonly DigestMessage[]): string {
  return createHash('sha256').update(canonicalDigestText(items), 'utf8').digest('hex');
}
