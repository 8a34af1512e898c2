import { createTenantAdmission, type TenantAdmissionDeps } from '../../api/services/tenant-admission';

/**
 * The verified-key cache of the webhook's tenant admission: a stored key is looked up in Postgres
 * once per TTL, never past it; a wrong key is never cached; a rotation forgets the old key at once.
 */

const KEY_A = 'Key a1';
const KEY_B = 'Key b2';

function fakeStore() {
  const stored = new Map<string, string>([['latam', KEY_A]]);
  const calls = { findTenant: 0, keyMatches: 0, verifyWithBlip: 0 };
  let clock = 1_000_000;
  const deps: TenantAdmissionDeps = {
    parseKey: (authorization) => {
      if (!authorization.startsWith('Key ')) throw new Error('not a Key header');
      return { identifier: 'latam', identity: 'latam@msging.net' };
    },
    allowedBots: [],
    defaultCommandsUrl: 'http://127.0.0.1:1/commands',
    findTenant: async (tenantId) => {
      calls.findTenant++;
      return stored.has(tenantId) ? { commandsUrl: null } : null;
    },
    keyMatches: async (tenantId, authorization) => {
      calls.keyMatches++;
      return stored.get(tenantId) === authorization;
    },
    verifyWithBlip: async () => {
      calls.verifyWithBlip++;
      return 'accepted';
    },
    saveTenant: async (t) => stored.set(t.tenantId, t.authorization),
    keyCacheTtlMs: 5_000,
    now: () => clock,
  };
  return { deps, calls, stored, advance: (ms: number) => (clock += ms) };
}

test('a stored key is checked against Postgres once per TTL, again after it', async () => {
  const { deps, calls, advance } = fakeStore();
  const admission = createTenantAdmission(deps);
  for (let i = 0; i < 5; i++) {
    await expect(admission.verifiedTenant(KEY_A)).resolves.toBe('latam');
    await expect(admission.admitTenant(KEY_A, 'ticket-1')).resolves.toMatchObject({ tenantId: 'latam' });
  }
  expect(calls).toEqual({ findTenant: 1, keyMatches: 1, verifyWithBlip: 0 });
  advance(5_001);
  await expect(admission.verifiedTenant(KEY_A)).resolves.toBe('latam');
  expect(calls.keyMatches).toBe(2);
});

test('a key that does not match is never cached', async () => {
  const { deps, calls } = fakeStore();
  const admission = createTenantAdmission(deps);
  await expect(admission.verifiedTenant(KEY_B)).resolves.toBeNull();
  await expect(admission.verifiedTenant(KEY_B)).resolves.toBeNull();
  expect(calls.keyMatches).toBe(2);
});

test('a rotation through this process forgets the old key at once', async () => {
  const { deps, calls, stored } = fakeStore();
  const admission = createTenantAdmission(deps);
  await expect(admission.verifiedTenant(KEY_A)).resolves.toBe('latam');
  // A new key: not the stored one, so Blip is asked, and it replaces the old key.
  await expect(admission.admitTenant(KEY_B, 'ticket-2')).resolves.toMatchObject({ tenantId: 'latam' });
  expect(calls.verifyWithBlip).toBe(1);
  expect(stored.get('latam')).toBe(KEY_B);
  await expect(admission.verifiedTenant(KEY_A)).resolves.toBeNull();
  await expect(admission.verifiedTenant(KEY_B)).resolves.toBe('latam');
});

test('with a TTL of 0 every check goes to Postgres', async () => {
  const { deps, calls } = fakeStore();
  const admission = createTenantAdmission({ ...deps, keyCacheTtlMs: 0 });
  await admission.verifiedTenant(KEY_A);
  await admission.verifiedTenant(KEY_A);
  expect(calls.keyMatches).toBe(2);
});

test('a lookup of the old key that ends after a rotation is not cached', async () => {
  const { deps, stored } = fakeStore();
  let release: () => void = () => undefined;
  const slow: TenantAdmissionDeps = {
    ...deps,
    keyMatches: async (tenantId, authorization) => {
      const matched = stored.get(tenantId) === authorization; // read before the rotation commits
      if (authorization === KEY_A) await new Promise<void>((r) => (release = r));
      return matched;
    },
  };
  const admission = createTenantAdmission(slow);
  const oldLookup = admission.verifiedTenant(KEY_A);
  await new Promise((r) => setImmediate(r));
  await expect(admission.admitTenant(KEY_B, 'ticket-3')).resolves.toMatchObject({ tenantId: 'latam' });
  release();
  await expect(oldLookup).resolves.toBe('latam'); // it read the key before the rotation
  // …but that answer was not kept: the old key is looked up (and refused) again.
  const next = admission.verifiedTenant(KEY_A);
  await new Promise((r) => setImmediate(r));
  release();
  await expect(next).resolves.toBeNull();
});

test('the ticket state read with the access is handed on only when the key came from the cache', async () => {
  // webhookChecks reads the ticket's state with the bot's access, before the key is checked. After
  // a Postgres key lookup or a Blip check (awaits during which the ticket may be archived), that
  // read is stale and must not decide whether to start: the caller has to read it again.
  const { deps, calls } = fakeStore();
  const admission = createTenantAdmission({
    ...deps,
    botAccess: async () => ({ access: 'admitted', ticket: 'archived' }),
  });
  await expect(admission.admitTenant(KEY_A, 'ticket-4')).resolves.toEqual({ tenantId: 'latam' });
  expect(calls.keyMatches).toBe(1);
  await expect(admission.admitTenant(KEY_A, 'ticket-4')).resolves.toEqual({
    tenantId: 'latam',
    ticket: 'archived',
  });
  // A new key checked with Blip: stale again.
  await expect(admission.admitTenant(KEY_B, 'ticket-4')).resolves.toEqual({ tenantId: 'latam' });
  expect(calls.verifyWithBlip).toBe(1);
});

test('a disabled or not-allowed bot is refused whatever the ticket state read with its access', async () => {
  const { deps } = fakeStore();
  for (const access of ['disabled', 'not-allowed'] as const) {
    const admission = createTenantAdmission({ ...deps, botAccess: async () => ({ access, ticket: null }) });
    await expect(admission.admitTenant(KEY_A, 'ticket-5')).rejects.toMatchObject({
      statusCode: access === 'disabled' ? 403 : 401,
    });
  }
});
