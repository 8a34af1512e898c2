import type { SearchClient } from './client';
import { COLLECTION_KINDS, type CollectionNames, collectionSchemas } from './schema';
import { TENANT_KEY_FIELD, tenantKey } from './tenant-scope';

/**
 * The application reads and writes through Typesense aliases (`${prefix}tickets`,
 * `${prefix}messages`, from collectionNames), each pointing at a versioned collection
 * (`${prefix}tickets_v<N>`). A reindex builds version N+1 beside the live one and swaps the alias,
 * so searches never see an empty or half-built collection (`reindex`, workflows/reindex-search.ts).
 */

type HttpErr = { httpStatus?: number };
const status = (err: unknown) => (err as HttpErr).httpStatus;

export const versionedName = (alias: string, version: number) => `${alias}_v${version}`;

/** The version number of a versioned collection name (`…_v7` → 7), 0 when it has none. */
export function versionOf(collection: string): number {
  const m = /_v(\d+)$/.exec(collection);
  return m ? Number(m[1]) : 0;
}

/** The collection an alias points at, or null when there is no such alias. */
export async function aliasTarget(client: SearchClient, alias: string): Promise<string | null> {
  try {
    const a = (await client.aliases(alias).retrieve()) as { collection_name: string };
    return a.collection_name;
  } catch (err) {
    if (status(err) === 404) return null;
    throw err;
  }
}

/**
 * The concrete collection to WRITE to for an alias. Typesense 0.24 replays its log after a
 * restart before it restores aliases, so a write addressed to an alias is silently lost when the
 * server restarts soon after (seen in the chaos run; test/integration/search-outage.test.ts keeps
 * it proven). Reads may use the alias; every write resolves it first.
 */
export async function writeTarget(client: SearchClient, alias: string): Promise<string> {
  return (await aliasTarget(client, alias)) ?? alias;
}

async function collectionExists(client: SearchClient, name: string): Promise<boolean> {
  try {
    const c = (await client.collections(name).retrieve()) as { name: string };
    // retrieve() also answers through an alias; only a collection of exactly this name counts.
    return c.name === name;
  } catch (err) {
    if (status(err) === 404) return false;
    throw err;
  }
}

/** Creates a collection with the schema of `kind`; an existing one (409, a concurrent creator) is fine. */
export async function createCollection(
  client: SearchClient,
  kind: keyof CollectionNames,
  name: string,
): Promise<boolean> {
  const [tickets, messages] = collectionSchemas({ tickets: name, messages: name, messagesRecent: name });
  try {
    // The recent-messages collection has the messages' schema (a copy of some of their documents).
    await client.collections().create((kind === 'tickets' ? tickets : messages) as never);
    return true;
  } catch (err) {
    if (status(err) !== 409) throw err;
    return false;
  }
}

/**
 * Copies every document of one collection into another (upserts), in JSONL export order. Documents
 * from before `tenant_key` get it from their own `tenant_id` (the new schema requires it).
 */
async function copyDocuments(client: SearchClient, from: string, to: string): Promise<void> {
  const jsonl = (await client.collections(from).documents().export()) as unknown as string;
  const lines = jsonl
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const doc = JSON.parse(l) as Record<string, unknown>;
      if (typeof doc.tenant_id !== 'string' || TENANT_KEY_FIELD in doc) return l;
      return JSON.stringify({ ...doc, [TENANT_KEY_FIELD]: tenantKey(doc.tenant_id) });
    });
  for (let i = 0; i < lines.length; i += 1000) {
    const chunk = lines.slice(i, i + 1000).join('\n');
    const out = (await client
      .collections(to)
      .documents()
      .import(chunk, { action: 'upsert' } as never)) as unknown as string;
    const failed = String(out)
      .split('\n')
      .filter((l) => l.includes('"success":false'));
    if (failed.length > 0) throw new Error(`copying ${from} to ${to}: ${failed.length} documents refused`);
  }
}

/**
 * Makes sure the aliases exist and point at a collection. An install from before the
 * recent-messages collection gets it created empty: `ticket-vault reindex` fills it (until then the
 * default free-text window finds nothing older than the install's upgrade; outdatedCollections says so). On a fresh install it creates
 * `<alias>_v1` and the alias; an older install that has a plain collection under the alias name is
 * migrated once: its documents are copied to `<alias>_v1`, the plain collection is dropped and the
 * alias created in its place (searches fail for the moment in between, and a document written to
 * the plain collection during the copy is only back after the next `reindex`). Safe to run
 * concurrently from several processes. Returns what it created.
 */
export async function ensureCollections(client: SearchClient, names: CollectionNames): Promise<string[]> {
  const created: string[] = [];
  for (const kind of COLLECTION_KINDS) {
    const alias = names[kind];
    const target = await aliasTarget(client, alias);
    const plain = await collectionExists(client, alias);
    if (target && !plain) {
      if (!(await collectionExists(client, target)) && (await createCollection(client, kind, target)))
        created.push(target);
      continue;
    }
    const versioned = target ?? versionedName(alias, 1);
    if (await createCollection(client, kind, versioned)) created.push(versioned);
    if (plain) {
      await copyDocuments(client, alias, versioned);
      // Typesense refuses an alias named like an existing collection: drop the plain one first
      // (checked by exact name, so a concurrent migrator's alias is never followed to v1).
      if (await collectionExists(client, alias)) {
        await client
          .collections(alias)
          .delete()
          .catch((err) => {
            if (status(err) !== 404) throw err;
          });
      }
    }
    await client.aliases().upsert(alias, { collection_name: versioned });
    created.push(alias);
  }
  return created;
}

/**
 * The live collections (behind the aliases) built by an older version: missing a field the
 * current schema has (e.g. `tenant_key`), or, with a free-text window, a recent-messages collection
 * still empty beside a filled messages one (created on upgrade, filled only by `reindex`). Searches still work on them (tenant-scope.ts falls back),
 * but only `reindex` brings them up to date; `reindex --if-empty` runs for them too.
 */
export async function outdatedCollections(
  client: SearchClient,
  names: CollectionNames,
  /** SEARCH_TEXT_DEFAULT_MONTHS: with a window, an empty recent collection beside a full one needs `reindex`. */
  textWindowMonths = 0,
): Promise<string[]> {
  const schemas = collectionSchemas(names);
  const outdated: string[] = [];
  if (textWindowMonths > 0) {
    const count = (name: string) =>
      client
        .collections(name)
        .retrieve()
        .then((c) => (c as { num_documents: number }).num_documents)
        .catch(() => 0);
    // Created empty by ensureCollections on an install that already had messages.
    if ((await count(names.messagesRecent)) === 0 && (await count(names.messages)) > 0) {
      outdated.push((await aliasTarget(client, names.messagesRecent)) ?? names.messagesRecent);
    }
  }
  for (const schema of schemas) {
    let live: { name: string; fields: Array<{ name: string }> };
    try {
      live = (await client.collections(schema.name).retrieve()) as never;
    } catch (err) {
      if (status(err) === 404) continue;
      throw err;
    }
    const have = new Set(live.fields.map((f) => f.name));
    if (schema.fields.some((f) => !have.has(f.name))) outdated.push(live.name);
  }
  return outdated;
}

/** Drops the aliases and the collections they point at (tests, decommissioning). */
export async function dropCollections(client: SearchClient, names: CollectionNames): Promise<void> {
  for (const alias of Object.values(names)) {
    const target = await aliasTarget(client, alias).catch(() => null);
    await client
      .aliases(alias)
      .delete()
      .catch(() => undefined);
    for (const name of [target, alias]) {
      if (name)
        await client
          .collections(name)
          .delete()
          .catch(() => undefined);
    }
  }
}
