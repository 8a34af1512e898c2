import { BlipCommandError } from './errors';

/**
 * Offset paging as Blip needs it (docs/blip-api.md §3, §10): `$skip` grows by the page size until a page
 * comes back shorter than asked (`total` is unreliable), ids seen on earlier pages are dropped
 * (pages shift when messages arrive meanwhile), and the number of pages is capped so a server
 * that keeps answering full pages cannot loop us forever.
 */
export interface OffsetPage<T> {
  /** 0-based page number within this iteration. */
  index: number;
  /** The `$skip` this page was requested with; pass it back as `fromSkip` to resume here. */
  skip: number;
  /** Items not seen on an earlier page, in server order. */
  items: T[];
  /** Items the server returned on this page, duplicates included. */
  received: number;
  duplicates: number;
}

export interface OffsetPagerOptions<T> {
  take: number;
  maxPages: number;
  fromSkip?: number;
  fetchPage: (skip: number, take: number) => Promise<T[]>;
  idOf: (item: T) => string;
  /** Names the listing in the page-limit error. */
  what: string;
}

export async function* pageByOffset<T>(opts: OffsetPagerOptions<T>): AsyncGenerator<OffsetPage<T>> {
  const seen = new Set<string>();
  let skip = opts.fromSkip ?? 0;
  for (let index = 0; index < opts.maxPages; index++) {
    const batch = await opts.fetchPage(skip, opts.take);
    const items = batch.filter((item) => {
      const id = opts.idOf(item);
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    if (batch.length > 0) {
      yield { index, skip, items, received: batch.length, duplicates: batch.length - items.length };
    }
    if (batch.length < opts.take) return;
    skip += batch.length;
  }
  throw new BlipCommandError(
    `${opts.what}: still full after ${opts.maxPages} pages of ${opts.take}; raise maxPages to read further (resume with fromSkip ${skip})`,
    'BLIP_PAGE_LIMIT',
  );
}
