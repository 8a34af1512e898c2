import cookie from '@fastify/cookie';
import Fastify from 'fastify';
import { type CookieSecurity, sessionCookieOptions } from '../../api/services/session-cookie';
import { loadConfig } from '../../lib/config';

/**
 * The session cookie inside the Blip portal (a cross-site iframe over https) must be
 * `SameSite=None; Secure; Partitioned`, or the browser drops it and the hand-off bounces to /login.
 */
async function setCookieHeader(
  security: CookieSecurity,
  trustProxy: boolean,
  headers: Record<string, string>,
): Promise<string> {
  const app = Fastify({ trustProxy });
  await app.register(cookie);
  app.get('/', async (req, reply) => {
    reply.setCookie('tv_session', 'token', sessionCookieOptions(security, req.protocol));
    return 'ok';
  });
  const res = await app.inject({ method: 'GET', url: '/', headers });
  await app.close();
  return String(res.headers['set-cookie']);
}

describe('session cookie attributes', () => {
  test('auto, behind a trusted TLS proxy (X-Forwarded-Proto: https): SameSite=None; Secure; Partitioned', async () => {
    const header = await setCookieHeader('auto', true, { 'x-forwarded-proto': 'https' });
    expect(header).toMatch(/; Secure/);
    expect(header).toMatch(/; SameSite=None/);
    expect(header).toMatch(/; Partitioned/);
    expect(header).toMatch(/; HttpOnly/);
  });

  test('auto, plain http (local development): SameSite=Lax, not Secure, not Partitioned', async () => {
    const header = await setCookieHeader('auto', true, {});
    expect(header).toMatch(/; SameSite=Lax/);
    expect(header).not.toMatch(/Secure|Partitioned/);
  });

  test('auto: a client cannot claim https through X-Forwarded-Proto when no proxy is trusted', async () => {
    const header = await setCookieHeader('auto', false, { 'x-forwarded-proto': 'https' });
    expect(header).toMatch(/; SameSite=Lax/);
    expect(header).not.toMatch(/Secure/);
  });

  test('true and false force it either way', async () => {
    expect(await setCookieHeader(true, false, {})).toMatch(/Partitioned/);
    expect(await setCookieHeader(false, true, { 'x-forwarded-proto': 'https' })).toMatch(/SameSite=Lax/);
  });

  test('COOKIE_SECURE accepts auto (the default), true and false, and names anything else', () => {
    const base = { NODE_ENV: 'test' };
    expect(loadConfig(base).COOKIE_SECURE).toBe('auto');
    expect(loadConfig({ ...base, COOKIE_SECURE: 'auto' }).COOKIE_SECURE).toBe('auto');
    expect(loadConfig({ ...base, COOKIE_SECURE: 'true' }).COOKIE_SECURE).toBe(true);
    expect(loadConfig({ ...base, COOKIE_SECURE: 'false' }).COOKIE_SECURE).toBe(false);
    expect(() => loadConfig({ ...base, COOKIE_SECURE: 'yes' })).toThrow(/COOKIE_SECURE/);
  });
});
