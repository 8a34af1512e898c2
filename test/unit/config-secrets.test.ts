import { createHash, randomBytes } from 'node:crypto';
import { ConfigError, isLoopbackHost, loadConfig, secretsOf } from '../../lib/config';

/** Secrets never have a default that works outside local development (DESIGN.md rule 6). */

const hex = () => randomBytes(32).toString('hex');
const devKey = createHash('sha256').update('ticket-vault local development only').digest('hex');
const errorOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    return err as Error;
  }
  return null;
};

test('local development (not production, loopback) starts with no secrets, on the development keys', () => {
  const config = loadConfig({});
  const secrets = secretsOf(config);
  expect(secrets.development).toBe(true);
  expect(secrets.encryptionKeys[0]?.toString('hex')).toBe(devKey);
  expect(secrets.sessionKeys[0]?.equals(secrets.encryptionKeys[0] as Buffer)).toBe(false);
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'])
    expect(loadConfig({ API_HOST: host, NODE_ENV: 'test' }).API_HOST).toBe(host);
});

test.each([
  ['NODE_ENV=production', { NODE_ENV: 'production' }],
  ['API_HOST=0.0.0.0', { API_HOST: '0.0.0.0' }],
  ['API_HOST=::', { API_HOST: '::' }],
  ['API_HOST=10.0.0.5', { API_HOST: '10.0.0.5' }],
])('with %s and no secrets it refuses, naming each variable and how to make one', (_why, env) => {
  const err = errorOf(env);
  expect(err).toBeInstanceOf(ConfigError);
  expect(err?.message).toMatch(/ARCHIVE_ENCRYPTION_KEY is not set/);
  expect(err?.message).toMatch(/SESSION_SECRET is not set/);
  expect(err?.message).toMatch(/openssl rand -hex 32/);
});

test('a publicly known key is refused outside local development, in hex or base64', () => {
  const b64 = Buffer.from(devKey, 'hex').toString('base64');
  for (const k of [devKey, b64, '0'.repeat(64)]) {
    const err = errorOf({ API_HOST: '0.0.0.0', ARCHIVE_ENCRYPTION_KEY: k, SESSION_SECRET: hex() });
    expect(err?.message).toMatch(/ARCHIVE_ENCRYPTION_KEY is a publicly known development key/);
  }
});

test('production starts with two distinct real secrets; the same one twice is refused', () => {
  const a = hex();
  const b = hex();
  expect(
    secretsOf(loadConfig({ NODE_ENV: 'production', ARCHIVE_ENCRYPTION_KEY: a, SESSION_SECRET: b }))
      .development,
  ).toBe(false);
  expect(errorOf({ NODE_ENV: 'production', ARCHIVE_ENCRYPTION_KEY: a, SESSION_SECRET: a })?.message).toMatch(
    /SESSION_SECRET must differ from ARCHIVE_ENCRYPTION_KEY/,
  );
});

test('previous keys for rotation are read as lists; a malformed one names the variable', () => {
  const [a, b, c, d] = [hex(), hex(), hex(), hex()];
  const secrets = secretsOf(
    loadConfig({
      NODE_ENV: 'production',
      ARCHIVE_ENCRYPTION_KEY: a,
      ARCHIVE_ENCRYPTION_KEY_PREVIOUS: `${b}, ${c}`,
      SESSION_SECRET: d,
      SESSION_SECRET_PREVIOUS: a,
    }),
  );
  expect(secrets.encryptionKeys.map((k) => k.toString('hex'))).toEqual([a, b, c]);
  expect(secrets.sessionKeys.map((k) => k.toString('hex'))).toEqual([d, a]);
  expect(errorOf({ SESSION_SECRET_PREVIOUS: 'short' })?.message).toMatch(/SESSION_SECRET_PREVIOUS/);
});

test('loopback is 127/8, ::1 and localhost only', () => {
  expect(isLoopbackHost('0.0.0.0')).toBe(false);
  expect(isLoopbackHost('::')).toBe(false);
  expect(isLoopbackHost('127.0.0.1.example.com')).toBe(false);
  expect(isLoopbackHost('192.168.1.1')).toBe(false);
  expect(isLoopbackHost('::ffff:127.0.0.1')).toBe(true);
});
