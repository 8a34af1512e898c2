import { createHash, createHmac, hkdfSync } from 'node:crypto';
import {
  actorOf,
  createSessionCodec,
  renewedExpiry,
  type SessionClaims,
  slidingExpiry,
} from '../../lib/auth/session';

const key = createHash('sha256').update('test key').digest();
const codec = createSessionCodec(key);
const now = Date.parse('2026-01-01T00:00:00Z');
const nowS = now / 1000;
const claims = (over: Partial<SessionClaims> = {}): SessionClaims => ({
  tenantId: 'atendimentolatam',
  user: 'ana@example.com',
  epoch: 3,
  loginAt: nowS,
  expiresAt: nowS + 3600,
  ...over,
});

test('a session carries its tenant, claimed user, epoch and login time until it expires', () => {
  const token = codec.issue(claims());
  expect(codec.verify(token, now + 1000)).toEqual(claims());
  expect(codec.verify(token, now + 3600_000)).toBeNull();
});

test('any bot id Blip allows fits, dots included (v1 split the token on dots)', () => {
  for (const tenantId of ['loja.exemplo', 'loja_exemplo', 'a.b.c-d', 'x']) {
    expect(codec.verify(codec.issue(claims({ tenantId })), now)?.tenantId).toBe(tenantId);
  }
});

test('a token moved to another tenant, or signed with another key, is refused', () => {
  const token = codec.issue(claims());
  const [v, payload, sig] = token.split('.') as [string, string, string];
  const body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  const moved = Buffer.from(JSON.stringify({ ...body, t: 'clinicavidasana' })).toString('base64url');
  expect(codec.verify([v, moved, sig].join('.'), now)).toBeNull();
  const bumped = Buffer.from(JSON.stringify({ ...body, e: 4 })).toString('base64url');
  expect(codec.verify([v, bumped, sig].join('.'), now)).toBeNull();
  const other = createSessionCodec(createHash('sha256').update('other').digest());
  expect(other.verify(token, now)).toBeNull();
  expect(codec.verify(`${token}x`, now)).toBeNull();
  expect(codec.verify(undefined, now)).toBeNull();
  expect(codec.verify('garbage', now)).toBeNull();
});

test('a v1 token minted with the public development key is refused', () => {
  // What anyone could do with the seed in the repository before: derive the session key, sign v1.
  const devKey = createHash('sha256').update('ticket-vault local development only').digest();
  const sessionKey = Buffer.from(hkdfSync('sha256', devKey, Buffer.alloc(0), 'ticket-vault/session/v1', 32));
  const payload = `v1.atendimentolatam.${nowS + 3600}.${Buffer.from('attacker').toString('base64url')}`;
  const forged = `${payload}.${createHmac('sha256', sessionKey).update(payload).digest('base64url')}`;
  expect(createSessionCodec(devKey).verify(forged, now)).toBeNull();
  expect(codec.verify(forged, now)).toBeNull();
});

test('rotation: tokens of the previous secret stay valid; new tokens use the current one', () => {
  const previous = createHash('sha256').update('previous').digest();
  const current = createHash('sha256').update('current').digest();
  const old = createSessionCodec(previous).issue(claims());
  const rotated = createSessionCodec([current, previous]);
  expect(rotated.verify(old, now)).toEqual(claims());
  const fresh = rotated.issue(claims());
  expect(createSessionCodec(current).verify(fresh, now)).toEqual(claims());
  expect(createSessionCodec(previous).verify(fresh, now)).toBeNull();
  // Once the previous secret is dropped, its sessions end.
  expect(createSessionCodec(current).verify(old, now)).toBeNull();
});

test('sliding expiry: each use moves the end by the idle time, never past the ceiling from login', () => {
  const life = { ttlSeconds: 8 * 3600, idleSeconds: 3600 };
  expect(slidingExpiry(nowS, nowS, life)).toBe(nowS + 3600);
  expect(slidingExpiry(nowS, nowS + 7.5 * 3600, life)).toBe(nowS + 8 * 3600);
  // Used 30 s after issue: not worth a new cookie; 10 minutes later: renewed.
  const c = claims({ expiresAt: nowS + 3600 });
  expect(renewedExpiry(c, nowS + 30, life)).toBeNull();
  expect(renewedExpiry(c, nowS + 600, life)).toBe(nowS + 4200);
  // At the ceiling nothing renews it.
  expect(renewedExpiry(claims({ expiresAt: nowS + 8 * 3600 }), nowS + 7.9 * 3600, life)).toBeNull();
});

test('the user typed at login is labelled as claimed', () => {
  expect(actorOf({ tenantId: 'atendimentolatam', user: 'ana@example.com' })).toBe(
    'ana@example.com (claimed)',
  );
  expect(actorOf({ tenantId: 'atendimentolatam', user: null })).toBe('key:atendimentolatam');
});
