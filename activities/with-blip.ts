import type { BlipClient } from '../lib/blip';

/** Runs `run` with a Blip client for the tenant and always closes it (its connections) after. */
export async function withBlip<T>(
  blipFor: (tenantId: string) => Promise<BlipClient>,
  tenantId: string,
  run: (blip: BlipClient) => Promise<T>,
): Promise<T> {
  const blip = await blipFor(tenantId);
  try {
    return await run(blip);
  } finally {
    await blip.close();
  }
}
