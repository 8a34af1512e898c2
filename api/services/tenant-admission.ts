import { unauthorized, unavailable } from './http-errors';

/**
 * Decides whether a webhook's key may archive: the key must parse, the bot must be allowed, and
 * the key must be the tenant's stored one — or, for a new bot or a rotated key, Blip must accept
 * it once (then it is stored encrypted, replacing the old one). Error messages name the bot,
 * never the key.
 */
export type KeyVerdict = 'accepted' | 'rejected' | 'unreachable';

export interface TenantAdmissionDeps {
  /** Parses `Key <base64>`; returns the bot identifier or throws an error whose message explains why. */
  parseKey: (authorization: string) => { identifier: string; identity: string };
  allowedBots: string[];
  defaultCommandsUrl: string;
  findTenant: (tenantId: string) => Promise<{ commandsUrl: string | null } | null>;
  keyMatches: (tenantId: string, authorization: string) => Promise<boolean>;
  /** Asks Blip (at the tenant's commands URL) whether it accepts this key, using the webhook's ticket. */
  verifyWithBlip: (commandsUrl: string, authorization: string, ticketId: string) => Promise<KeyVerdict>;
  saveTenant: (t: { tenantId: string; botIdentity: string; authorization: string }) => Promise<unknown>;
}

export function createTenantAdmission(deps: TenantAdmissionDeps) {
  function claimedTenant(authorization: string): string | null {
    try {
      return deps.parseKey(authorization).identifier;
    } catch {
      return null;
    }
  }

  async function admitTenant(authorization: string, ticketId: string): Promise<string> {
    let bot: { identifier: string; identity: string };
    try {
      bot = deps.parseKey(authorization);
    } catch (err) {
      throw unauthorized(`auth is not a valid Blip bot key: ${(err as Error).message}`);
    }
    if (deps.allowedBots.length > 0 && !deps.allowedBots.includes(bot.identifier)) {
      throw unauthorized(`bot ${bot.identifier} is not allowed on this installation (ALLOWED_BOTS)`);
    }
    const tenant = await deps.findTenant(bot.identifier);
    if (tenant && (await deps.keyMatches(bot.identifier, authorization))) return bot.identifier;
    const verdict = await deps.verifyWithBlip(
      tenant?.commandsUrl ?? deps.defaultCommandsUrl,
      authorization,
      ticketId,
    );
    if (verdict === 'rejected') throw unauthorized(`Blip rejected the key of bot ${bot.identifier}`);
    if (verdict === 'unreachable')
      throw unavailable(`could not reach Blip to check the key of bot ${bot.identifier}; retry`);
    await deps.saveTenant({ tenantId: bot.identifier, botIdentity: bot.identity, authorization });
    return bot.identifier;
  }

  return { admitTenant, claimedTenant };
}
