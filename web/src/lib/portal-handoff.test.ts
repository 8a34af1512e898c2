import { describe, expect, it } from 'vitest';
import { type HandoffDeps, portalHandoff } from './portal-handoff';

/** A portal and API that answer as told; records what the hand-off did, in order. */
function world(overrides: Partial<HandoffDeps> = {}) {
  const log: string[] = [];
  const deps: HandoffDeps = {
    language: async () => 'pt',
    applyLanguage: async (l) => {
      log.push(`language ${l}`);
    },
    identity: async () => ({ key: 'Key abc', user: 'agente@loja.com.br' }),
    login: async (key, user) => {
      log.push(`login ${key} ${user}`);
      return { status: 200 };
    },
    sessionKept: async () => {
      log.push('kept?');
      return true;
    },
    ...overrides,
  };
  return { deps, log };
}

const never = () => new Promise<never>(() => {});

describe('portalHandoff', () => {
  it('applies the portal language first, logs in as the portal user, and checks the cookie was kept', async () => {
    const { deps, log } = world();
    expect(await portalHandoff(deps)).toEqual({ ok: true });
    expect(log).toEqual(['language pt', 'login Key abc agente@loja.com.br', 'kept?']);
  });

  it('a session the browser did not keep (next request 401) is a failure, not a success', async () => {
    const { deps } = world({ sessionKept: async () => false });
    expect(await portalHandoff(deps)).toEqual({ ok: false, reason: 'not-kept' });
  });

  it('a key the API refuses (401/400) is "refused"; other answers carry the API message', async () => {
    expect(await portalHandoff(world({ login: async () => ({ status: 401 }) }).deps)).toEqual({
      ok: false,
      reason: 'refused',
    });
    expect(
      await portalHandoff(world({ login: async () => ({ status: 503, message: 'Blip unreachable' }) }).deps),
    ).toEqual({ ok: false, reason: 'error', detail: 'Blip unreachable' });
    expect(
      await portalHandoff(
        world({
          login: async () => {
            throw new Error('Failed to fetch');
          },
        }).deps,
      ),
    ).toEqual({ ok: false, reason: 'error', detail: 'Failed to fetch' });
  });

  it('a portal without a bot key is "portal"; its language is still applied', async () => {
    const { deps, log } = world({
      identity: async () => {
        throw new Error('portal gave no bot key');
      },
    });
    expect(await portalHandoff(deps)).toEqual({ ok: false, reason: 'portal' });
    expect(log).toEqual(['language pt']);
  });

  it('a portal that does not say its language (or fails to) still logs in', async () => {
    const { deps, log } = world({
      language: async () => {
        throw new Error('unsupported');
      },
    });
    expect(await portalHandoff(deps)).toEqual({ ok: true });
    expect(log[0]).toMatch(/^login /);
  });

  it('anything that never answers ends at the deadline, never an endless spinner', async () => {
    for (const stuck of [{ identity: never }, { login: never }, { sessionKept: never }]) {
      expect(await portalHandoff(world(stuck).deps, 20)).toEqual({ ok: false, reason: 'timeout' });
    }
  });
});
