import { createHash } from 'node:crypto';
import type { KeyCheck, KeyVerdict } from '../../lib/blip/key-check';
import type { TicketState } from '../../lib/db/webhook-checks';
import { normaliseTenantId } from '../../lib/tenant-id';
import { badGateway, forbidden, unauthorized, unavailable } from './http-errors';

/**
 * Decides whether a webhook's key may archive: the key must parse, the bot must be allowed, and
 * the key must be the tenant's stored one — or, for a new bot or a rotated key, Blip must accept
 * it once (then it is stored encrypted, replacing the old one). Error messages name the bot,
 * never the key. The tenant id is the bot identifier normalised here, once (lib/tenant-id.ts):
 * `Key` headers for `LojaExemplo` and `lojaexemplo` are the same tenant; the key itself is kept
 * and sent to Blip exactly as given.
 */
export type { KeyVerdict } from '../../lib/blip/key-check';

type BotAccess = 'admitted' | 'not-allowed' | 'disabled';

/**
 * An admitted webhook. `ticket` is the ticket's state as read with the bot's access (one Postgres
 * round trip for both: lib/db/webhook-checks.ts), given only when nothing was awaited between that
 * read and the admission (the key was a cached stored key); otherwise it is absent and the caller
 * reads the state again, so a state read before a slow key check (Blip) is never acted on.
 */
export interface Admitted {
  tenantId: string;
  ticket?: TicketState;
}

export interface TenantAdmissionDeps {
  /** Parses `Key <base64>`; returns the bot identifier or throws an error whose message explains why. */
  parseKey: (authorization: string) => { identifier: string; identity: string };
  allowedBots: string[];
  /**
   * The operators' decision on this bot (lib/db/tenant-access.ts: database allowlist, disabled
   * bots, ALLOWED_BOTS); when given it replaces the plain `allowedBots` check.
   */
  botAccess?: (
    identifier: string,
    ticketId: string,
  ) => Promise<BotAccess | { access: BotAccess; ticket: TicketState }>;
  defaultCommandsUrl: string;
  findTenant: (tenantId: string) => Promise<{ commandsUrl: string | null } | null>;
  keyMatches: (tenantId: string, authorization: string) => Promise<boolean>;
  /**
   * Asks Blip (at the tenant's commands URL) whether it accepts this key, using the webhook's
   * ticket. Fails closed (lib/blip/key-check.ts): only `accepted` stores the key.
   */
  verifyWithBlip: (
    commandsUrl: string,
    authorization: string,
    ticketId: string,
  ) => Promise<KeyVerdict | KeyCheck>;
  saveTenant: (t: { tenantId: string; botIdentity: string; authorization: string }) => Promise<unknown>;
  /**
   * How long a key found to be its tenant's stored key is trusted without asking Postgres again
   * (every webhook checks its key twice: rate limiting and admission). A rotation through this
   * process forgets the tenant's entries at once; one through another replica is seen within
   * this time. 0 turns the cache off.
   */
  keyCacheTtlMs?: number;
  now?: () => number;
}

/** Entries kept at most; the oldest go first. */
const KEY_CACHE_MAX = 10_000;

/** The HTTP error for a key check that did not admit the key; names the bot and what Blip answered. */
export function keyCheckError(bot: string, check: KeyCheck) {
  const problem = check.problem ? ` (${check.problem})` : '';
  switch (check.verdict) {
    case 'rejected':
      return unauthorized(`Blip rejected the key of bot ${bot}${problem}`);
    case 'unreachable':
      return unavailable(`could not reach Blip to check the key of bot ${bot}; retry${problem}`);
    default:
      return badGateway(
        `the key of bot ${bot} was not accepted: Blip's answer does not prove it valid${problem}; check the commands URL`,
      );
  }
}

export function createTenantAdmission(deps: TenantAdmissionDeps) {
  const ttl = deps.keyCacheTtlMs ?? 0;
  const now = deps.now ?? Date.now;
  // Keyed by a hash of the key, so the cache never holds a key itself.
  const storedKeys = new Map<string, { tenantId: string; until: number }>();
  // Bumped when a tenant's key changes: a lookup that started before is not cached after it.
  const keyVersions = new Map<string, number>();
  const cacheKey = (authorization: string) => createHash('sha256').update(authorization).digest('hex');

  /** Whether the cache holds this key as the tenant's stored key (no I/O). */
  function isCachedStoredKey(tenantId: string, authorization: string): boolean {
    const hit = ttl > 0 ? storedKeys.get(cacheKey(authorization)) : undefined;
    return Boolean(hit && hit.tenantId === tenantId && hit.until > now());
  }

  /** Whether the key is the tenant's stored key (the tenant existing), cached for `ttl`. */
  async function isStoredKey(tenantId: string, authorization: string): Promise<boolean> {
    if (isCachedStoredKey(tenantId, authorization)) return true;
    const k = ttl > 0 ? cacheKey(authorization) : '';
    const version = keyVersions.get(tenantId) ?? 0;
    const matches =
      Boolean(await deps.findTenant(tenantId)) && (await deps.keyMatches(tenantId, authorization));
    if (ttl > 0 && version === (keyVersions.get(tenantId) ?? 0)) {
      storedKeys.delete(k);
      if (matches) {
        storedKeys.set(k, { tenantId, until: now() + ttl });
        if (storedKeys.size > KEY_CACHE_MAX) storedKeys.delete(storedKeys.keys().next().value as string);
      }
    }
    return matches;
  }

  function forgetTenant(tenantId: string) {
    keyVersions.set(tenantId, (keyVersions.get(tenantId) ?? 0) + 1);
    for (const [k, v] of storedKeys) if (v.tenantId === tenantId) storedKeys.delete(k);
  }

  /** The tenant this key belongs to when it is that tenant's stored key; null otherwise. */
  async function verifiedTenant(authorization: string): Promise<string | null> {
    let identifier: string;
    try {
      identifier = normaliseTenantId(deps.parseKey(authorization).identifier);
    } catch {
      return null;
    }
    if (deps.allowedBots.length > 0 && !deps.allowedBots.includes(identifier)) return null;
    return (await isStoredKey(identifier, authorization)) ? identifier : null;
  }

  async function admitTenant(authorization: string, ticketId: string): Promise<Admitted> {
    let bot: { identifier: string; identity: string };
    try {
      const parsed = deps.parseKey(authorization);
      bot = { identifier: normaliseTenantId(parsed.identifier), identity: parsed.identity };
    } catch (err) {
      throw unauthorized(`auth is not a valid Blip bot key: ${(err as Error).message}`);
    }
    const answer = deps.botAccess
      ? await deps.botAccess(bot.identifier, ticketId)
      : deps.allowedBots.length > 0 && !deps.allowedBots.includes(bot.identifier)
        ? 'not-allowed'
        : 'admitted';
    const { access, ticket } = typeof answer === 'string' ? { access: answer, ticket: undefined } : answer;
    if (access === 'disabled') {
      throw forbidden(
        `tenant ${bot.identifier} is disabled on this installation; nothing is archived for it`,
      );
    }
    if (access === 'not-allowed') {
      throw unauthorized(
        `bot ${bot.identifier} is not allowed on this installation (ALLOWED_BOTS or ticket-vault tenants allow)`,
      );
    }
    // The usual case: no await since the access read, so the ticket state read with it is current.
    if (isCachedStoredKey(bot.identifier, authorization)) return { tenantId: bot.identifier, ticket };
    if (await isStoredKey(bot.identifier, authorization)) return { tenantId: bot.identifier };
    const tenant = await deps.findTenant(bot.identifier);
    const blip = await deps.verifyWithBlip(
      tenant?.commandsUrl ?? deps.defaultCommandsUrl,
      authorization,
      ticketId,
    );
    const check: KeyCheck = typeof blip === 'string' ? { verdict: blip } : blip;
    // Anything but Blip's proof leaves the stored key (if any) as it is.
    if (check.verdict !== 'accepted') throw keyCheckError(bot.identifier, check);
    await deps.saveTenant({ tenantId: bot.identifier, botIdentity: bot.identity, authorization });
    forgetTenant(bot.identifier);
    return { tenantId: bot.identifier };
  }

  return { admitTenant, verifiedTenant };
}
