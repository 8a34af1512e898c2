import fs from 'node:fs';
import path from 'node:path';

/**
 * Demo data for `npm start` in simulator mode: sends the webhook Blip Builder would send for
 * every ticket of the demo fixtures, so the archive has content to search the moment it is up.
 */
interface FixtureIndex {
  bots: Array<{ identity: string; authorization: string }>;
  tickets: Array<{ id: string; bot: string }>;
}

export async function seedDemoArchive(
  apiUrl: string,
  fixturesDir: string,
  log: (line: string) => void,
): Promise<void> {
  const index = JSON.parse(fs.readFileSync(path.join(fixturesDir, 'index.json'), 'utf8')) as FixtureIndex;
  for (const ticket of index.tickets) {
    const bot = index.bots.find((b) => b.identity === ticket.bot);
    if (!bot) continue;
    const res = await fetch(`${apiUrl}/v1/tickethistory`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticket: ticket.id, auth: bot.authorization }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json().catch(() => ({}))) as { status?: string; message?: string };
    log(`  ${ticket.id} (${ticket.bot}): ${res.status} ${body.status ?? body.message ?? ''}`);
  }
}
