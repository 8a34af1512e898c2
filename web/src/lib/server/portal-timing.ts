import { PORTAL_REQUEST_MS } from '$lib/portal';
import { HANDOFF_DEADLINE_MS } from '$lib/portal-handoff';

/** The portal hand-off's deadlines the login page uses (milliseconds). */
export interface PortalTiming {
  handoffMs: number;
  requestMs: number;
}

/** A whole number of milliseconds in [min, max], else the default (lib/config.ts refuses bad values at the API's start). */
function millis(value: string | undefined, fallback: number, min: number, max: number): number {
  const n = Number(value);
  return value && Number.isInteger(n) && n >= min && n <= max ? n : fallback;
}

/** UI_PORTAL_HANDOFF_MS and UI_PORTAL_REQUEST_MS from the serving process's environment. */
export function portalTiming(env: Record<string, string | undefined>): PortalTiming {
  return {
    handoffMs: millis(env.UI_PORTAL_HANDOFF_MS, HANDOFF_DEADLINE_MS, 500, 300_000),
    requestMs: millis(env.UI_PORTAL_REQUEST_MS, PORTAL_REQUEST_MS, 200, 60_000),
  };
}
