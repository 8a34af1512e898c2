import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { jcs } from './jcs';

/**
 * The installation's Ed25519 seal keys. The private key signs every seal; the public keys
 * (current and retired) are published at `GET /.well-known/ticket-vault-keys` so anyone can
 * check a seal without access to the archive. A key id is the RFC 7638 JWK thumbprint of the
 * public key (base64url SHA-256 of `{"crv":"Ed25519","kty":"OKP","x":…}`), so it can be
 * recomputed from the key itself with any JOSE library.
 */

export class SealKeyError extends Error {
  override name = 'SealKeyError';
}

export interface SealPublicKey {
  keyId: string;
  status: 'current' | 'retired';
  publicKey: KeyObject;
}

export interface SealKeys {
  keyId: string;
  privateKey: KeyObject;
  /** Current first, then retired ones; rotation keeps old signatures checkable. */
  publicKeys: SealPublicKey[];
  /** A generated local-development key (never in production). */
  development: boolean;
}

function requireEd25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new SealKeyError(
      `${what} is a ${key.asymmetricKeyType ?? 'non-asymmetric'} key; an Ed25519 key is required`,
    );
  }
  return key;
}

/** An Ed25519 private key from PEM text or base64 PKCS#8 DER. */
export function parseSigningKey(text: string): KeyObject {
  const trimmed = text.trim();
  try {
    const key = trimmed.includes('-----BEGIN')
      ? createPrivateKey({ key: trimmed, format: 'pem' })
      : createPrivateKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'pkcs8' });
    return requireEd25519(key, 'SEAL_SIGNING_KEY');
  } catch (err) {
    if (err instanceof SealKeyError) throw err;
    throw new SealKeyError('SEAL_SIGNING_KEY is not a PEM or base64 PKCS#8 private key');
  }
}

/** Public keys from PEM blocks, or base64 SPKI DER separated by commas or whitespace. */
export function parsePublicKeys(text: string): KeyObject[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  const parts = trimmed.includes('-----BEGIN')
    ? (trimmed.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [])
    : trimmed.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0) throw new SealKeyError('SEAL_RETIRED_PUBLIC_KEYS holds no PUBLIC KEY block');
  return parts.map((part, i) => {
    try {
      const key = part.startsWith('-----BEGIN')
        ? createPublicKey({ key: part, format: 'pem' })
        : createPublicKey({ key: Buffer.from(part, 'base64'), format: 'der', type: 'spki' });
      return requireEd25519(key, `SEAL_RETIRED_PUBLIC_KEYS #${i + 1}`);
    } catch (err) {
      if (err instanceof SealKeyError) throw err;
      throw new SealKeyError(`SEAL_RETIRED_PUBLIC_KEYS #${i + 1} is not a PEM or base64 SPKI public key`);
    }
  });
}

/** RFC 7638 thumbprint of an Ed25519 public key (RFC 8037 §A.3). */
export function keyIdOf(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' }) as { crv: string; kty: string; x: string };
  return createHash('sha256')
    .update(jcs({ crv: jwk.crv, kty: jwk.kty, x: jwk.x }))
    .digest('base64url');
}

export function buildSealKeys(privateKey: KeyObject, retired: KeyObject[], development: boolean): SealKeys {
  const publicKey = createPublicKey(privateKey);
  const keyId = keyIdOf(publicKey);
  const publicKeys: SealPublicKey[] = [{ keyId, status: 'current', publicKey }];
  for (const key of retired) {
    const id = keyIdOf(key);
    if (!publicKeys.some((k) => k.keyId === id))
      publicKeys.push({ keyId: id, status: 'retired', publicKey: key });
  }
  return { keyId, privateKey, publicKeys, development };
}

export function signBytes(keys: SealKeys, bytes: Buffer): string {
  return sign(null, bytes, keys.privateKey).toString('base64');
}

/** Checks an Ed25519 signature with the published key `keyId`; `unknown-key` when none has that id. */
export function verifySignature(
  keys: Pick<SealKeys, 'publicKeys'>,
  keyId: string,
  bytes: Buffer,
  signature: string,
): 'valid' | 'invalid' | 'unknown-key' {
  const key = keys.publicKeys.find((k) => k.keyId === keyId);
  if (!key) return 'unknown-key';
  try {
    return verify(null, bytes, key.publicKey, Buffer.from(signature, 'base64')) ? 'valid' : 'invalid';
  } catch {
    return 'invalid';
  }
}

/** What `GET /.well-known/ticket-vault-keys` publishes for one key. */
export function publishedKey(k: SealPublicKey) {
  const jwk = k.publicKey.export({ format: 'jwk' }) as { crv: string; kty: string; x: string };
  return {
    keyId: k.keyId,
    status: k.status,
    algorithm: 'Ed25519' as const,
    publicKeyPem: k.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid: k.keyId, use: 'sig', alg: 'EdDSA' },
  };
}
