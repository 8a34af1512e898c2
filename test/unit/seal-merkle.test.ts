import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { jcs } from '../../lib/integrity/jcs';
import {
  buildSealKeys,
  keyIdOf,
  parsePublicKeys,
  parseSigningKey,
  signBytes,
  verifySignature,
} from '../../lib/integrity/keys';
import { inclusionProof, leafHash, merkleRoot, nodeHash, verifyInclusion } from '../../lib/integrity/merkle';

const h = (s: string) => createHash('sha256').update(s).digest();

test('RFC 8785: keys sorted by UTF-16 code units, ECMAScript numbers, no whitespace', () => {
  // The RFC's own sorting example (§3.2.3) and number forms (§3.2.2.3).
  expect(
    jcs({
      '\u20ac': 'Euro',
      '\r': 'CR',
      '\ufb33': 'Hebrew',
      '1': 'One',
      '\ud83d\ude00': 'Smiley',
      '\u0080': 'Ctl',
      '\u00f6': 'o',
    }),
  ).toBe(
    '{"\\r":"CR","1":"One","\u0080":"Ctl","\u00f6":"o","\u20ac":"Euro","\ud83d\ude00":"Smiley","\ufb33":"Hebrew"}',
  );
  expect(jcs({ b: [1e21, 1e-7, -0, 0.000001, Number('333333333.33333329')], a: 'x' })).toBe(
    '{"a":"x","b":[1e+21,1e-7,0,0.000001,333333333.3333333]}',
  );
});

test('RFC 6962 tree: odd leaves are promoted, not duplicated; every audit path verifies', () => {
  const leaves = [h('a'), h('b'), h('c')];
  expect(merkleRoot(leaves)).toEqual(nodeHash(nodeHash(h('a'), h('b')), h('c')));
  // Duplicating the last leaf gives a different root (CVE-2012-2459 does not apply).
  expect(merkleRoot([...leaves, h('c')])).not.toEqual(merkleRoot(leaves));
  for (let n = 1; n <= 17; n++) {
    const list = Array.from({ length: n }, (_, i) => h(String(i)));
    const root = merkleRoot(list);
    for (let i = 0; i < n; i++) {
      const path = inclusionProof(list, i);
      expect(verifyInclusion(list[i] as Buffer, i, n, path, root)).toBe(true);
      expect(verifyInclusion(h('other'), i, n, path, root)).toBe(false);
      if (n > 1) expect(verifyInclusion(list[i] as Buffer, (i + 1) % n, n, path, root)).toBe(false);
    }
  }
});

test('leaves are domain-separated and salted', () => {
  const salt = Buffer.alloc(32, 7);
  const data = Buffer.from('{"text":"oi"}');
  expect(leafHash(salt, data)).toEqual(
    createHash('sha256')
      .update(Buffer.from([0]))
      .update(salt)
      .update(data)
      .digest(),
  );
  expect(leafHash(Buffer.alloc(32, 8), data)).not.toEqual(leafHash(salt, data));
  expect(() => leafHash(Buffer.alloc(4), data)).toThrow(/32 bytes/);
});

test('Ed25519 keys: PEM and base64 PKCS#8, RFC 7638 key ids, retired keys still verify, other key types refused', () => {
  const a = generateKeyPairSync('ed25519');
  const b = generateKeyPairSync('ed25519');
  const pem = a.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const der = (a.privateKey.export({ format: 'der', type: 'pkcs8' }) as Buffer).toString('base64');
  expect(keyIdOf(createPublicKey(parseSigningKey(pem)))).toBe(keyIdOf(a.publicKey));
  expect(parseSigningKey(der).asymmetricKeyType).toBe('ed25519');
  const oldKeys = buildSealKeys(b.privateKey, [], false);
  const signature = signBytes(oldKeys, Buffer.from('envelope'));
  const retiredPem = b.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const rotated = buildSealKeys(parseSigningKey(pem), parsePublicKeys(retiredPem), false);
  expect(rotated.publicKeys.map((k) => k.status)).toEqual(['current', 'retired']);
  expect(verifySignature(rotated, oldKeys.keyId, Buffer.from('envelope'), signature)).toBe('valid');
  expect(verifySignature(rotated, oldKeys.keyId, Buffer.from('envelopf'), signature)).toBe('invalid');
  expect(
    verifySignature(
      buildSealKeys(a.privateKey, [], false),
      oldKeys.keyId,
      Buffer.from('envelope'),
      signature,
    ),
  ).toBe('unknown-key');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString();
  expect(() => parseSigningKey(rsa)).toThrow(/Ed25519/);
  expect(() => parseSigningKey('not a key')).toThrow(/PKCS#8/);
});
