import { describe, expect, it } from 'vitest';
import { DEFAULT_FRAME_ANCESTORS, frameAncestors } from './frame-ancestors';

describe('frameAncestors', () => {
  it('uses the configured sources', () => {
    expect(frameAncestors("'self' https://desk.blip.ai https://*.example.com")).toBe(
      "'self' https://desk.blip.ai https://*.example.com",
    );
  });

  it('falls back to ourselves and the Blip portal when unset or blank', () => {
    expect(frameAncestors(undefined)).toBe(DEFAULT_FRAME_ANCESTORS);
    expect(frameAncestors('   ')).toBe(DEFAULT_FRAME_ANCESTORS);
  });

  it.each([
    "'self'; script-src 'unsafe-inline' *",
    "* , 'self'\r\nSet-Cookie: x=1",
    "'self' https://evil.example\"",
    "'self' https://a.example,https://b.example",
  ])('refuses a value that would add to the header: %j', (value) => {
    expect(frameAncestors(value)).toBe(DEFAULT_FRAME_ANCESTORS);
  });
});
