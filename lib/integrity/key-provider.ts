import { generateKeyPairSync } from 'node:crypto';
import { type Config, sealKeySource } from '../config';
import type { Db } from '../db/pool';
import { buildSealKeys, parsePublicKeys, parseSigningKey, type SealKeys } from './keys';

/**
 * The seal keys of this installation, loaded once: SEAL_SIGNING_KEY, or in local development a
 * key generated on first use and kept in Postgres (`seal_dev_key`), so the API, the worker and the
 * CLI of one local stack share it. sealKeySource() refuses the fallback in production.
 */
export type SealKeyProvider = () => Promise<SealKeys>;

export function createSealKeyProvider(config: Config, db: Db): SealKeyProvider {
  const source = sealKeySource(config);
  let loaded: Promise<SealKeys> | null = null;
  return () => {
    loaded ??= (async () => {
      const retired = parsePublicKeys(source.retired);
      if (source.kind === 'configured')
        return buildSealKeys(parseSigningKey(source.signingKey), retired, false);
      return buildSealKeys(parseSigningKey(await developmentKeyPem(db)), retired, true);
    })().catch((err) => {
      loaded = null;
      throw err;
    });
    return loaded;
  };
}

async function developmentKeyPem(db: Db): Promise<string> {
  const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  // The first process to get here stores its key; everyone then reads the stored one.
  await db.query('insert into seal_dev_key (private_pem) values ($1) on conflict do nothing', [pem]);
  const { rows } = await db.query<{ private_pem: string }>('select private_pem from seal_dev_key');
  const stored = rows[0]?.private_pem;
  if (!stored) throw new Error('seal_dev_key is empty after insert');
  return stored;
}
