import { createHash } from 'node:crypto';
import { createSessionCodec } from '../../lib/auth/session';

const key = createHash('sha256').update('test key').digest();
const codec = createSessionCodec(key);
const now = Date.parse('2026-01-01T00:00:00Z');

test('a session carries its tenant and actor until it expires', () => {
  const { token, expiresAt } = codec.issue(
    { tenantId: 'atendimentolatam', actor: 'ana@example.com' },
    3600,
    now,
  );
  expect(expiresAt.toISOString()).toBe('2026-01-01T01:00:00.000Z');
  expect(codec.verify(token, now + 1000)).toEqual({ tenantId: 'atendimentolatam', actor: 'ana@example.com' });
  expect(codec.verify(token, now + 3600_000)).toBeNull();
});

test('a token moved to another tenant, or signed with another key, is refused', () => {
  const { token } = codec.issue({ tenantId: 'atendimentolatam', actor: 'a' }, 3600, now);
  const [v, , exp, actor, sig] = token.split('.');
  expect(codec.verify([v, 'clinicavidasana', exp, actor, sig].join('.'), now)).toBeNull();
  const other = createSessionCodec(createHash('sha256').update('other').digest());
  expect(other.verify(token, now)).toBeNull();
  expect(codec.verify(`${token}x`, now)).toBeNull();
  expect(codec.verify(undefined, now)).toBeNull();
  expect(codec.verify('garbage', now)).toBeNull();
});
