import { InvalidBotKeyError } from './errors';

/**
 * The bot key Blip Builder sends: `Key <base64 of "identifier:secret">` (docs/blip-api.md §1, §10). Parsing
 * is offline and only checks the shape; whether Blip accepts the key is learned by calling it.
 * Errors say which rule failed and never repeat any part of the key.
 */
export interface BotKey {
  /** The bot's short name, e.g. `atendimentolatam`; ticket-vault uses it as the tenant id. */
  identifier: string;
  /** `<identifier>@msging.net`. */
  identity: string;
  /** The normalised header value to send: `Key <token>`. */
  authorization: string;
}

const KEY_SHAPE = /^Key [A-Za-z0-9+/=]+$/;
/** Standard base64, padding optional but only at the end. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
/** Blip bot identifiers are short lowercase names; accept the characters seen in the wild. */
const BOT_IDENTIFIER = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,126}[A-Za-z0-9])?$/;
const MAX_HEADER_LENGTH = 2048;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function parseBotKey(authorization: unknown): BotKey {
  if (typeof authorization !== 'string' || authorization.trim() === '') {
    throw new InvalidBotKeyError('bot key is missing');
  }
  const value = authorization.trim();
  if (value.length > MAX_HEADER_LENGTH) {
    throw new InvalidBotKeyError(`bot key is too long (more than ${MAX_HEADER_LENGTH} characters)`);
  }
  if (!value.startsWith('Key ')) {
    throw new InvalidBotKeyError("bot key must use the 'Key' scheme: 'Key <base64 of identifier:secret>'");
  }
  if (!KEY_SHAPE.test(value)) {
    throw new InvalidBotKeyError("bot key token after 'Key ' must contain only base64 characters");
  }
  const token = value.slice(4);
  if (!BASE64.test(token)) {
    throw new InvalidBotKeyError('bot key token is not valid base64');
  }
  let decoded: string;
  try {
    decoded = strictUtf8.decode(Buffer.from(token, 'base64'));
  } catch {
    throw new InvalidBotKeyError('bot key token does not decode to UTF-8 text');
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    throw new InvalidBotKeyError("decoded bot key must be 'identifier:secret' (no ':' found)");
  }
  const identifier = decoded.slice(0, colon);
  const secret = decoded.slice(colon + 1);
  if (identifier === '') throw new InvalidBotKeyError('decoded bot key has an empty bot identifier');
  if (secret === '') throw new InvalidBotKeyError('decoded bot key has an empty secret');
  if (!BOT_IDENTIFIER.test(identifier)) {
    throw new InvalidBotKeyError(
      'decoded bot key has an invalid bot identifier (letters, digits, ".", "_" and "-" only)',
    );
  }
  return { identifier, identity: `${identifier}@msging.net`, authorization: value };
}

/** Like parseBotKey, for callers that only need a yes/no (e.g. rate-limit keys). */
export function tryParseBotKey(authorization: unknown): BotKey | null {
  try {
    return parseBotKey(authorization);
  } catch {
    return null;
  }
}

/**
 * Builds the header from the portal's values: the "access key" shown in Blip is itself
 * base64(secret), so the token is base64(identifier + ":" + atob(accessKey)) (docs/blip-api.md §1).
 */
export function botKeyFromAccessKey(identifier: string, accessKey: string): string {
  const secret = Buffer.from(accessKey, 'base64').toString('utf8');
  return `Key ${Buffer.from(`${identifier}:${secret}`, 'utf8').toString('base64')}`;
}

/** The `identifier:secret` pair inside a well-formed header, for servers that verify keys. */
export function decodeBotKeyCredentials(authorization: string): { identifier: string; secret: string } {
  const key = parseBotKey(authorization);
  const decoded = Buffer.from(key.authorization.slice(4), 'base64').toString('utf8');
  return { identifier: key.identifier, secret: decoded.slice(decoded.indexOf(':') + 1) };
}
