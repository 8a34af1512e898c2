import {
  BlipAuthError,
  BlipCommandError,
  BlipNotFoundError,
  BlipRateLimitedError,
  BlipServerError,
  commandsUrlOf,
  contactUri,
  createBlipClient,
  customerTicketsUri,
  failureToError,
  historyMetadataUri,
  isSecureMediaExpired,
  mediaUriExpiry,
  parseRetryAfter,
  threadUri,
  ticketMessagesUri,
  ticketUri,
  tunnelUri,
} from '../../lib/blip';
import { backoffDelay, DEFAULT_RETRY_POLICY, withRetry } from '../../lib/blip/retry';
import { readFixtureJson } from '../../tools/harness/blip-fixtures';

const commandUriOf = (file: string) =>
  readFixtureJson<{ metadata: Record<string, string> }>(file).metadata['#command.uri']?.replace(
    /^lime:\/\/[^/]+/,
    '',
  );

describe('command URIs match Blip’s own examples', () => {
  test('ticket, messages, contact, tunnel', () => {
    expect(ticketUri('b598352e-77f5-546c-a017-5ec108ed50ba')).toBe(
      readFixtureJson<{ uri: string }>('examples/get-ticket.request.json').uri,
    );
    expect(
      ticketMessagesUri('805c6e79-257e-5075-933c-0cdd20578e04', {
        skip: 100,
        take: 100,
        ascending: true,
        tunnel: false,
      }),
    ).toBe(readFixtureJson<{ uri: string }>('examples/get-messages.request.json').uri);
    expect(
      ticketMessagesUri('ec76db3c-68c3-513c-9d01-a54ee7ba0146', {
        skip: 0,
        take: 100,
        ascending: true,
        tunnel: true,
      }),
    ).toBe(commandUriOf('tickets/ec76db3c-68c3-513c-9d01-a54ee7ba0146/messages-page-1.json'));
    expect(contactUri('5511987654321@wa.gw.msging.net')).toBe(
      readFixtureJson<{ uri: string }>('examples/get-contact.request.json').uri,
    );
    expect(tunnelUri('9a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d@tunnel.msging.net')).toBe(
      readFixtureJson<{ uri: string }>('examples/get-tunnel.request.json').uri,
    );
  });

  test('history metadata filter is encoded exactly like the example', () => {
    expect(
      historyMetadataUri(
        { from: '2025-03-01T00:00:00.000Z', to: new Date('2025-03-31T23:59:59.999Z') },
        0,
        100,
      ),
    ).toBe(commandUriOf('examples/tickets-history-metadata.json'));
  });

  test('customer tickets and threads', () => {
    expect(customerTicketsUri('a@0mn.io', true, 0, 100)).toBe(
      "/tickets?$filter=(CustomerIdentity%20eq%20'a%400mn.io')&$closed=true&$skip=0&$take=100",
    );
    expect(
      threadUri('5511987654321@wa.gw.msging.net', {
        take: 100,
        storageDate: '2025-03-10T17:00:00Z',
        direction: 'asc',
        refreshExpiredMedia: true,
      }),
    ).toBe(
      '/threads/5511987654321%40wa.gw.msging.net?$take=100&storageDate=2025-03-10T17%3A00%3A00.000Z&direction=asc&refreshExpiredMedia=true',
    );
  });

  test('ids are encoded, so a hostile id cannot change the path', () => {
    expect(ticketUri('../tickets/x?$take=1000')).toBe('/ticket/..%2Ftickets%2Fx%3F%24take%3D1000');
  });

  test.each([
    ['empty ticket id', () => ticketUri('')],
    ['take above 100', () => ticketMessagesUri('t', { skip: 0, take: 101, ascending: true, tunnel: false })],
    ['negative skip', () => ticketMessagesUri('t', { skip: -1, take: 10, ascending: true, tunnel: false })],
    ['bad date', () => historyMetadataUri({ from: 'yesterday', to: new Date() }, 0, 100)],
    ['quote in identity', () => customerTicketsUri("a' or '1'='1", true, 0, 100)],
  ])('%s is refused before sending', (_label, build) => {
    expect(build).toThrow(BlipCommandError);
    expect(build).toThrow(expect.objectContaining({ code: 'BLIP_INVALID_ARGUMENT', retryable: false }));
  });
});

describe('LIME failures become typed errors', () => {
  const command = { method: 'get', uri: '/ticket/x', to: 'postmaster@desk.msging.net' };
  const failureOf = (file: string) =>
    failureToError(
      command,
      readFixtureJson<{ reason: { code?: number; description?: string } }>(file).reason,
    );

  test.each([
    ['errors/ticket-not-found.json', BlipNotFoundError, 'BLIP_NOT_FOUND'],
    ['errors/ticket-of-other-bot.json', BlipNotFoundError, 'BLIP_NOT_FOUND'],
    ['errors/contact-not-found.json', BlipNotFoundError, 'BLIP_NOT_FOUND'],
    ['errors/media-refresh-failed.json', BlipNotFoundError, 'BLIP_NOT_FOUND'],
    ['errors/tickets-get-by-id-not-supported.json', BlipCommandError, 'BLIP_RESOURCE_NOT_SUPPORTED'],
    ['errors/take-too-large.json', BlipCommandError, 'BLIP_COMMAND_FAILED'],
    ['errors/filter-not-supported.json', BlipCommandError, 'BLIP_COMMAND_FAILED'],
  ])('%s', (file, type, code) => {
    const err = failureOf(file);
    expect(err).toBeInstanceOf(type);
    expect(err.code).toBe(code);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('get /ticket/x');
  });

  test('63 and the authorization range', () => {
    expect(failureToError(command, { code: 63 }).code).toBe('BLIP_METHOD_NOT_SUPPORTED');
    expect(failureToError(command, { code: 32, description: 'no' })).toBeInstanceOf(BlipAuthError);
    expect(failureToError(command, undefined).message).toContain('no description');
  });
});

describe('Retry-After and back-off', () => {
  const now = Date.parse('2025-03-10T12:00:00Z');

  test('Retry-After in seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(['1.5'], now)).toBe(1500);
    expect(parseRetryAfter('Mon, 10 Mar 2025 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 10 Mar 2025 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('999999', now)).toBe(3_600_000);
  });

  test('exponential delays with bounded jitter, Retry-After taken as given', () => {
    const policy = { retries: 5, initialDelayMs: 100, factor: 2, maxDelayMs: 1000 };
    expect(backoffDelay(policy, 1, new Error('x'), () => 0.5)).toBe(100);
    expect(backoffDelay(policy, 3, new Error('x'), () => 0.5)).toBe(400);
    expect(backoffDelay(policy, 3, new Error('x'), () => 0)).toBe(320);
    expect(backoffDelay(policy, 3, new Error('x'), () => 1)).toBe(480);
    expect(backoffDelay(policy, 10, new Error('x'), () => 0.5)).toBe(1000);
    expect(backoffDelay(policy, 1, new BlipRateLimitedError('x', 2500), () => 0.5)).toBe(2500);
  });

  test('withRetry retries only retryable errors, a bounded number of times', async () => {
    const sleeps: number[] = [];
    const deps = { sleep: async (ms: number) => void sleeps.push(ms), random: () => 0.5 };
    let calls = 0;
    await expect(
      withRetry(DEFAULT_RETRY_POLICY, deps, async () => {
        calls++;
        throw new BlipServerError('boom');
      }),
    ).rejects.toBeInstanceOf(BlipServerError);
    expect(calls).toBe(DEFAULT_RETRY_POLICY.retries + 1);
    expect(sleeps).toEqual([250, 500]);

    calls = 0;
    await expect(
      withRetry(DEFAULT_RETRY_POLICY, deps, async () => {
        calls++;
        throw new BlipNotFoundError('gone');
      }),
    ).rejects.toBeInstanceOf(BlipNotFoundError);
    expect(calls).toBe(1);
  });

  test('a pause longer than maxDelayMs is handed to the caller, not slept', async () => {
    const sleeps: number[] = [];
    let calls = 0;
    const err = await withRetry(
      { ...DEFAULT_RETRY_POLICY, maxDelayMs: 5000 },
      { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
      async () => {
        calls++;
        throw new BlipRateLimitedError('slow down', 120_000);
      },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlipRateLimitedError);
    expect((err as BlipRateLimitedError).retryAfterMs).toBe(120_000);
    expect(calls).toBe(1);
    expect(sleeps).toEqual([]);
  });
});

describe('client construction', () => {
  test('commands URL gets /commands when missing', () => {
    expect(commandsUrlOf('https://http.msging.net/commands')).toBe('https://http.msging.net/commands');
    expect(commandsUrlOf('http://127.0.0.1:8090')).toBe('http://127.0.0.1:8090/commands');
    expect(commandsUrlOf('https://x.http.msging.net/commands/')).toBe('https://x.http.msging.net/commands');
    expect(() => commandsUrlOf('ftp://x')).toThrow(BlipCommandError);
    expect(() => commandsUrlOf('not a url')).toThrow(BlipCommandError);
  });

  test('a malformed key fails at construction, before any request', () => {
    expect(() => createBlipClient({ baseUrl: 'http://127.0.0.1:1', authorization: 'Bearer x' })).toThrow(
      expect.objectContaining({ code: 'BLIP_INVALID_KEY_FORMAT' }),
    );
  });

  test('an invalid retry policy is refused', () => {
    const authorization = `Key ${Buffer.from('bot:secret').toString('base64')}`;
    expect(() =>
      createBlipClient({ baseUrl: 'http://127.0.0.1:1', authorization, retry: { retries: -1 } }),
    ).toThrow(RangeError);
  });
});

describe('media link expiry', () => {
  const uri =
    'http://blip-media.local/secure-medias/Media_69db785a-e860-51cb-9844-7d350060e191?sv=2019-07-07&st=2025-03-11T15%3A20%3A17Z&se=2025-03-11T15%3A50%3A17Z&sr=b&sp=r&sig=D0VDv%2Bc0a38nyaCvBgZiQrSEf7VLHWwGVdFYtl4CvtQ%3D&secure=true';

  test('reads se and compares with a given instant', () => {
    expect(mediaUriExpiry(uri)?.toISOString()).toBe('2025-03-11T15:50:17.000Z');
    expect(isSecureMediaExpired(uri, new Date('2025-03-11T15:35:17Z'))).toBe(false);
    expect(isSecureMediaExpired(uri, new Date('2025-03-11T15:35:17Z'), 20 * 60_000)).toBe(true);
    expect(isSecureMediaExpired(uri)).toBe(true);
  });

  test('public links and non-URLs never count as expired', () => {
    expect(mediaUriExpiry('http://blip-media.local/public/lojaexemplo/plano-fibra-300.png')).toBeNull();
    expect(isSecureMediaExpired('file:///etc/passwd')).toBe(false);
    expect(isSecureMediaExpired('::nope::')).toBe(false);
  });
});
