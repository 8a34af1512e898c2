import { describe, expect, it } from 'vitest';
import { portalTiming } from './portal-timing';

describe('portalTiming', () => {
  it('is 30 s for the hand-off and 5 s a portal question when nothing is set', () => {
    expect(portalTiming({})).toEqual({ handoffMs: 30_000, requestMs: 5_000 });
  });

  it('takes whole milliseconds within the bounds lib/config.ts allows', () => {
    expect(portalTiming({ UI_PORTAL_HANDOFF_MS: '8000', UI_PORTAL_REQUEST_MS: '3000' })).toEqual({
      handoffMs: 8000,
      requestMs: 3000,
    });
  });

  it('keeps the default for a value that is not a whole number in bounds', () => {
    for (const bad of ['', 'soon', '1.5', '-1', '0', '100', '999999999'])
      expect(portalTiming({ UI_PORTAL_HANDOFF_MS: bad, UI_PORTAL_REQUEST_MS: bad })).toEqual({
        handoffMs: 30_000,
        requestMs: 5_000,
      });
  });
});
