import fs from 'node:fs';
import path from 'node:path';
import { fixturesDir } from '../../tools/blip-sim/fixtures-dir';

/** The Blip fixtures the tests read (the repository's fixtures/blip, or BLIP_FIXTURES_DIR when set). */
export const FIXTURES_DIR = fixturesDir();

export interface FixtureIndex {
  bots: Array<{ identifier: string; identity: string; accessKey: string; authorization: string }>;
  invalidAuthorizations: Array<{ authorization: string; why: string }>;
  tickets: Array<{
    id: string;
    sequentialId: number;
    bot: string;
    channel: string;
    status: string;
    customerIdentity: string;
    messageItems: number;
    pages: number;
    contentTypes: string[];
  }>;
  fetchTimes: Record<string, string>;
}

export function readFixtureJson<T = unknown>(relative: string): T {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, relative), 'utf8')) as T;
}

export const fixtureIndex = (): FixtureIndex => readFixtureJson<FixtureIndex>('index.json');

/** Every thread-message item of a fixture ticket, pages concatenated (oldest first). */
export function fixtureMessages(ticketId: string): Array<Record<string, unknown> & { id: string }> {
  const dir = path.join(FIXTURES_DIR, 'tickets', ticketId);
  const pages = fs
    .readdirSync(dir)
    .filter((f) => /^messages-page-\d+\.json$/.test(f))
    .sort((a, b) => Number(a.match(/\d+/)?.[0]) - Number(b.match(/\d+/)?.[0]));
  return pages.flatMap(
    (p) =>
      (JSON.parse(fs.readFileSync(path.join(dir, p), 'utf8')) as { resource: { items: never[] } }).resource
        .items,
  );
}

export function fixtureTicketIds(): string[] {
  return fs.readdirSync(path.join(FIXTURES_DIR, 'tickets')).sort();
}

export function botAuthorization(identifier: string): string {
  const bot = fixtureIndex().bots.find((b) => b.identifier === identifier);
  if (!bot) throw new Error(`no fixture bot ${identifier}`);
  return bot.authorization;
}
