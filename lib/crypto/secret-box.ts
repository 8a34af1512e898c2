import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Symmetric sealing of small secrets at rest (the bots' Blip keys). AES-256-GCM with a random
 * 12-byte IV per seal, so the same key sealed twice gives different text; the GCM tag makes any
 * change to the stored value (or a wrong key) fail loudly instead of decrypting to garbage.
 *
 * Sealed format: `v1.<iv base64>.<tag base64>.<ciphertext base64>`. The version prefix lets a
 * later format (another cipher, key rotation with a key id) coexist with stored v1 values.
 *
 * `context` is optional associated data: it is authenticated but not stored, so a value sealed
 * for one row (e.g. tenant A) cannot be copied into another row (tenant B) and still open.
 */
export interface SecretBox {
  seal(plain: string, context?: string): string;
  /** Throws SecretBoxError when the value was altered, the key is wrong or the context differs. */
  open(sealed: string, context?: string): string;
  /** Like open; `stale` when a previous key opened it, so the caller re-seals it with the current one. */
  openDetailed(sealed: string, context?: string): { plain: string; stale: boolean };
  /**
   * Keyed, deterministic fingerprint (HMAC-SHA256, hex) to compare a presented secret with the
   * stored one without decrypting it; without the key it says nothing about the secret.
   */
  fingerprint(plain: string): string;
  /** The fingerprint under the current key, then under each previous key (rotation). */
  fingerprints(plain: string): string[];
  /**
   * HMAC-SHA256 (hex) of `value` with a subkey derived (HKDF) from the master key for `purpose`
   * alone, under the current key first, then each previous key: a keyed, deterministic name for a
   * value that must not be kept in clear (an erased contact), still found after a key rotation.
   */
  keyedHashes(purpose: string, value: string): string[];
}

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * `key` seals; `previous` keys (a rotation's grace period) only open and fingerprint. The sealed
 * format carries no key id: opening tries each key, and the GCM tag tells a wrong key apart.
 */
export function createSecretBox(key: Buffer, previous: Buffer[] = []): SecretBox {
  for (const k of [key, ...previous]) {
    if (!Buffer.isBuffer(k) || k.length !== 32) {
      throw new SecretBoxError('secret box key must be exactly 32 bytes');
    }
  }
  const encKey = Buffer.from(key);
  // Key separation: the fingerprint HMAC uses a subkey derived from the master key rather than
  // the AES key itself, so the two primitives never share key material.
  const macKeyOf = (k: Buffer) =>
    Buffer.from(hkdfSync('sha256', k, Buffer.alloc(0), 'ticket-vault/fingerprint/v1', 32));
  const macKey = macKeyOf(encKey);
  const older = previous
    .filter((k) => !k.equals(encKey))
    .map((k) => ({ encKey: Buffer.from(k), macKey: macKeyOf(k) }));

  function seal(plain: string, context?: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', encKey, iv, { authTagLength: TAG_BYTES });
    if (context !== undefined) cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv.toString('base64'), tag.toString('base64'), ciphertext.toString('base64')].join('.');
  }

  function openDetailed(sealed: string, context?: string): { plain: string; stale: boolean } {
    try {
      return { plain: openWith(encKey, sealed, context), stale: false };
    } catch (err) {
      if (!(err instanceof SecretBoxError) || !err.message.includes('could not be opened')) throw err;
      for (const k of older) {
        try {
          return { plain: openWith(k.encKey, sealed, context), stale: true };
        } catch {
          /* try the next one */
        }
      }
      throw err;
    }
  }

  function openWith(aesKey: Buffer, sealed: string, context?: string): string {
    // Messages below describe the shape only; neither the sealed text nor the plaintext is echoed.
    const parts = typeof sealed === 'string' ? sealed.split('.') : [];
    if (parts.length !== 4) throw new SecretBoxError('sealed value is malformed');
    const [version, ivText, tagText, dataText] = parts as [string, string, string, string];
    if (version !== VERSION) throw new SecretBoxError('sealed value has an unsupported version');
    if (![ivText, tagText, dataText].every((p) => B64.test(p))) {
      throw new SecretBoxError('sealed value is malformed');
    }
    const iv = Buffer.from(ivText, 'base64');
    const tag = Buffer.from(tagText, 'base64');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new SecretBoxError('sealed value is malformed');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', aesKey, iv, { authTagLength: TAG_BYTES });
      if (context !== undefined) decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      const plain = Buffer.concat([decipher.update(Buffer.from(dataText, 'base64')), decipher.final()]);
      return plain.toString('utf8');
    } catch {
      throw new SecretBoxError('sealed value could not be opened (altered, wrong key or wrong context)');
    }
  }

  function fingerprint(plain: string): string {
    return createHmac('sha256', macKey).update(plain, 'utf8').digest('hex');
  }

  function fingerprints(plain: string): string[] {
    return [
      fingerprint(plain),
      ...older.map((k) => createHmac('sha256', k.macKey).update(plain, 'utf8').digest('hex')),
    ];
  }

  const purposeKeys = new Map<string, Buffer[]>();
  function keyedHashes(purpose: string, value: string): string[] {
    let keys = purposeKeys.get(purpose);
    if (!keys) {
      keys = [encKey, ...older.map((k) => k.encKey)].map((k) =>
        Buffer.from(hkdfSync('sha256', k, Buffer.alloc(0), `ticket-vault/${purpose}/v1`, 32)),
      );
      purposeKeys.set(purpose, keys);
    }
    return keys.map((k) => createHmac('sha256', k).update(value, 'utf8').digest('hex'));
  }

  return {
    keyedHashes,
    seal,
    open: (sealed, context) => openDetailed(sealed, context).plain,
    openDetailed,
    fingerprint,
    fingerprints,
  };
}
