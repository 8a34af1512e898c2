import { createHash } from 'node:crypto';

/**
 * The Merkle tree of a seal, built as in RFC 6962 / RFC 9162 §2.1 (Certificate Transparency):
 *
 * - leaf hash  = SHA-256(0x00 || salt || data), where data is the record's RFC 8785 bytes and salt
 *   32 random bytes kept with the seal (so a leaf shown as a bare hash cannot be guessed back);
 * - inner node = SHA-256(0x01 || left || right);
 * - for n > 1 leaves, the root is node(MTH(first k), MTH(rest)) with k the largest power of two
 *   smaller than n. An odd node is never duplicated: it is promoted and hashed at a higher level,
 *   so no two different leaf lists share a root (unlike Bitcoin's duplicate-last-node rule).
 *
 * Inclusion proofs are RFC 9162 audit paths: the sibling hashes from the leaf up to the root.
 */

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);
export const SALT_BYTES = 32;

export function leafHash(salt: Buffer, data: Buffer): Buffer {
  if (salt.length !== SALT_BYTES) throw new RangeError(`a leaf salt is ${SALT_BYTES} bytes`);
  return createHash('sha256').update(LEAF).update(salt).update(data).digest();
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(NODE).update(left).update(right).digest();
}

/** Largest power of two strictly smaller than n (n >= 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function mth(leaves: readonly Buffer[], from: number, to: number): Buffer {
  const n = to - from;
  if (n === 1) return leaves[from] as Buffer;
  const k = split(n);
  return nodeHash(mth(leaves, from, from + k), mth(leaves, from + k, to));
}

/** The root over leaf hashes in order; a seal always has at least its header leaf. */
export function merkleRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) throw new RangeError('a Merkle tree needs at least one leaf');
  return mth(leaves, 0, leaves.length);
}

/** The audit path of leaf `index`: sibling hashes from the bottom up (RFC 9162 §2.1.3.1). */
export function inclusionProof(leaves: readonly Buffer[], index: number): Buffer[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new RangeError(`leaf ${index} is not in a tree of ${leaves.length}`);
  }
  const path: Buffer[] = [];
  const walk = (m: number, from: number, to: number) => {
    const n = to - from;
    if (n === 1) return;
    const k = split(n);
    if (m < k) {
      walk(m, from, from + k);
      path.push(mth(leaves, from + k, to));
    } else {
      walk(m - k, from + k, to);
      path.push(mth(leaves, from, from + k));
    }
  };
  walk(index, 0, leaves.length);
  return path;
}

/** RFC 9162 §2.1.3.2: does `leaf` sit at `index` of a tree of `size` leaves with this root? */
export function verifyInclusion(
  leaf: Buffer,
  index: number,
  size: number,
  path: readonly Buffer[],
  root: Buffer,
): boolean {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}
