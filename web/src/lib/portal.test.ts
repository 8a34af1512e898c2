import { describe, expect, it } from 'vitest';
import { botKeyFromApplication } from './portal';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const decodeKey = (key: string | null) =>
  key?.startsWith('Key ') ? Buffer.from(key.slice(4), 'base64').toString('utf8') : null;

describe('botKeyFromApplication: the bot key the portal gives us', () => {
  it('builds Blip’s `Key base64(shortName:secret)` from the application’s identifier and access key', () => {
    const key = botKeyFromApplication({
      applicationJson: { identifier: 'lojabot', accessKey: b64('s3cr3t') },
    });
    expect(key).toBe(`Key ${b64('lojabot:s3cr3t')}`);
  });

  it('prefers the shortName and the applicationJson access key when both shapes are present', () => {
    const key = botKeyFromApplication({
      shortName: 'short',
      accessKey: b64('outer'),
      applicationJson: { identifier: 'ident', accessKey: b64('inner') },
    });
    expect(decodeKey(key)).toBe('short:inner');
  });

  it('keeps non-ASCII secrets intact (UTF-8 both ways)', () => {
    const key = botKeyFromApplication({ shortName: 'bot', accessKey: b64('çãé✓') });
    expect(decodeKey(key)).toBe('bot:çãé✓');
  });

  it('gives no key rather than a wrong one when a part is missing or the access key is not base64', () => {
    expect(botKeyFromApplication({ shortName: 'bot' })).toBeNull();
    expect(botKeyFromApplication({ accessKey: b64('x') })).toBeNull();
    expect(botKeyFromApplication({ shortName: 'bot', accessKey: 'not base64!' })).toBeNull();
    expect(botKeyFromApplication({})).toBeNull();
  });
});
