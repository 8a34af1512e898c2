import {
  BlipError,
  botKeyFromAccessKey,
  decodeBotKeyCredentials,
  InvalidBotKeyError,
  parseBotKey,
  tryParseBotKey,
} from '../../lib/blip';
import { fixtureIndex } from '../../tools/harness/blip-fixtures';

const index = fixtureIndex();

function parseError(authorization: unknown): InvalidBotKeyError {
  try {
    parseBotKey(authorization);
  } catch (err) {
    if (err instanceof InvalidBotKeyError) return err;
    throw err;
  }
  throw new Error('expected parseBotKey to throw');
}

describe('parseBotKey', () => {
  test.each(index.bots.map((b) => [b.identifier, b]))('accepts the key of fixture bot %s', (_name, bot) => {
    const key = parseBotKey(bot.authorization);
    expect(key).toEqual({
      identifier: bot.identifier,
      identity: bot.identity,
      authorization: bot.authorization,
    });
  });

  test('the portal access key builds the same header as the fixture', () => {
    for (const bot of index.bots) {
      expect(botKeyFromAccessKey(bot.identifier, bot.accessKey)).toBe(bot.authorization);
      expect(decodeBotKeyCredentials(bot.authorization)).toEqual({
        identifier: bot.identifier,
        secret: Buffer.from(bot.accessKey, 'base64').toString('utf8'),
      });
    }
  });

  const wellFormedButRejectedByBlip = new Set(['known bot, wrong access key', 'unknown bot']);

  test.each(index.invalidAuthorizations.map((a) => [a.why, a.authorization]))(
    'invalid authorization "%s" is handled without crashing or echoing the key',
    (why, authorization) => {
      if (wellFormedButRejectedByBlip.has(why)) {
        // Only Blip can tell a wrong secret or an unknown bot: the shape is valid.
        expect(parseBotKey(authorization).identifier).toMatch(/^[a-z]+$/);
        return;
      }
      const err = parseError(authorization);
      expect(err).toBeInstanceOf(BlipError);
      expect(err.code).toBe('BLIP_INVALID_KEY_FORMAT');
      expect(err.retryable).toBe(false);
      expect(err.name).toBe('InvalidBotKeyError');
      if (authorization !== '') {
        expect(err.message).not.toContain(authorization);
        expect(err.message).not.toContain(authorization.split(' ')[1] ?? '@@');
      }
      expect(tryParseBotKey(authorization)).toBeNull();
    },
  );

  test.each([
    ['no value', undefined, /missing/],
    ['a number', 42, /missing/],
    ['blanks', '   ', /missing/],
    ['a Bearer token', 'Bearer abc', /'Key' scheme/],
    ['a lower-case scheme', 'key YXRlbmRpbWVudG9sYXRhbTpYazI5dlFwTDdtWnQ=', /'Key' scheme/],
    ['a token with "$"', 'Key abc$def', /base64 characters/],
    ['padding in the middle', 'Key a=bc', /not valid base64/],
    ['"abc" (no colon)', 'Key YWJj', /no ':' found/],
    ['":secret"', 'Key OnNlY3JldA==', /empty bot identifier/],
    ['"bot:"', 'Key Ym90Og==', /empty secret/],
    ['"bot name:secret"', 'Key Ym90IG5hbWU6c2VjcmV0', /invalid bot identifier/],
    ['bytes that are not UTF-8', 'Key //79', /UTF-8/],
    ['a 3000-character token', `Key ${'A'.repeat(3000)}`, /too long/],
  ])('%s is rejected with a reason', (_label, authorization, reason) => {
    const err = parseError(authorization);
    expect(err.message).toMatch(reason);
  });

  test('a secret containing ":" keeps everything after the first colon', () => {
    const header = `Key ${Buffer.from('mybot:se:cr:et').toString('base64')}`;
    expect(parseBotKey(header).identifier).toBe('mybot');
    expect(decodeBotKeyCredentials(header).secret).toBe('se:cr:et');
  });

  test('surrounding whitespace is tolerated and normalised away', () => {
    const bot = index.bots[0];
    if (!bot) throw new Error('fixture has no bots');
    expect(parseBotKey(`  ${bot.authorization}\n`).authorization).toBe(bot.authorization);
  });

  test('the secret never appears in the error for an invalid identifier', () => {
    const header = `Key ${Buffer.from('bad bot!:TopSecretValue').toString('base64')}`;
    const err = parseError(header);
    expect(JSON.stringify({ ...err, text: err.message })).not.toContain('TopSecretValue');
    expect(err.message).not.toContain('bad bot');
  });
});
