/**
 * A tenant is a Blip bot, named by its identifier (the part of the bot key before the `:`, see
 * lib/blip/key.ts). Blip identifiers are case-insensitive, so `LojaExemplo` and `lojaexemplo` are
 * the same bot: every place that admits an identifier from outside (webhook, login, `Authorization:
 * Key`, the CLI, ALLOWED_BOTS) turns it into this one form, and everything stored or compared
 * after that uses it as is. Letters, digits, `.`, `_` and `-` are all kept: `loja-exemplo`,
 * `loja.exemplo`, `loja_exemplo` and `lojaexemplo` are four different tenants.
 */

/** A normalised tenant id: lower case, what lib/blip/key.ts accepts as a bot identifier. */
export const TENANT_ID = /^[a-z0-9](?:[a-z0-9._-]{0,126}[a-z0-9])?$/;

export class InvalidTenantIdError extends Error {
  override name = 'InvalidTenantIdError';
}

/** The tenant id for a bot identifier as typed or decoded (trimmed, lower-cased), or an error naming the rule. */
export function normaliseTenantId(identifier: string): string {
  const id = identifier.trim().toLowerCase();
  if (!TENANT_ID.test(id)) {
    throw new InvalidTenantIdError(
      `not a Blip bot identifier: ${JSON.stringify(identifier.slice(0, 60))} (letters, digits, ".", "_" and "-", starting and ending with a letter or digit, at most 128)`,
    );
  }
  return id;
}

export const isTenantId = (value: string): boolean => TENANT_ID.test(value);
