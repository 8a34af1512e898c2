import type { SearchClient } from './client';
import { writeTarget } from './migrate';
import type { CollectionNames } from './schema';

/**
 * The recent-messages collection (issue 17): a copy of the message documents sent within the
 * free-text window, searched by default instead of the whole `messages` collection. Typesense 0.24
 * intersects the words' whole posting lists in a collection and only then applies filter_by, so a
 * `sent_at` filter alone costs as much as no window; only shorter posting lists make it cheaper
 * (docs/performance.md "Free text over the recent months by default").
 *
 * It holds the messages sent since the window's start minus RECENT_MARGIN_DAYS, so a document
 * stays findable for a few days after it left the collection's cutoff until the next trim (run by
 * the retention schedule and by a full `reindex`). Documents older than the window that are still
 * there are harmless: the windowed query keeps its `sent_at:>=since` filter. Derived data like the
 * other collections: a full `reindex` rebuilds it from Postgres.
 */

/** Days kept beyond the window, so the daily trim never races the window's moving start. */
export const RECENT_MARGIN_DAYS = 7;

/**
 * Where the default free-text window starts, in epoch seconds: `months` calendar months before
 * `now`, at 00:00 UTC of that day, so all of a day's searches share one window (and one text-cache
 * entry). The window filters on the messages' `sent_at` (an indexed int64): a message sent then
 * belongs to a ticket closed since then.
 */
export function textWindowSince(now: Date, months: number): number {
  return Math.floor(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months, now.getUTCDate()) / 1000);
}

/**
 * The oldest sent_at (epoch seconds) the recent collection keeps for a window of `months`, or null
 * when there is no window (SEARCH_TEXT_DEFAULT_MONTHS=0): then nothing is written to it.
 */
export function recentCutoff(now: Date, months: number | undefined): number | null {
  if (!months || months <= 0) return null;
  return textWindowSince(now, months) - RECENT_MARGIN_DAYS * 86_400;
}

/**
 * Deletes the recent collection's documents sent before the cutoff of `months` (all of them when
 * there is no window: the collection is then unused). Returns how many went. A collection that does
 * not exist yet (a worker older than it, or Typesense reset) has nothing to trim.
 */
export async function trimRecentMessages(
  client: SearchClient,
  names: CollectionNames,
  months: number | undefined,
  now: Date = new Date(),
): Promise<number> {
  if (!names.messagesRecent) return 0;
  const cutoff = recentCutoff(now, months);
  const collection = await writeTarget(client, names.messagesRecent);
  try {
    // Every document has sent_at (the indexer gives an undated message its ticket's close).
    const filter = cutoff === null ? 'position:>=0' : `sent_at:<${cutoff}`;
    const res = (await client
      .collections(collection)
      .documents()
      .delete({ filter_by: filter } as never)) as {
      num_deleted?: number;
    };
    return res.num_deleted ?? 0;
  } catch (err) {
    if ((err as { httpStatus?: number }).httpStatus === 404) return 0;
    throw err;
  }
}
