import type { SearchClient } from './client';
import { type CollectionNames, collectionSchemas } from './schema';

/** Creates the collections that do not exist yet; concurrent callers are fine (409 = already there). */
export async function ensureCollections(client: SearchClient, names: CollectionNames): Promise<string[]> {
  const created: string[] = [];
  for (const schema of collectionSchemas(names)) {
    const exists = await client
      .collections(schema.name)
      .retrieve()
      .then(() => true)
      .catch((err: { httpStatus?: number }) => {
        if (err.httpStatus === 404) return false;
        throw err;
      });
    if (exists) continue;
    try {
      await client.collections().create(schema as never);
      created.push(schema.name);
    } catch (err) {
      if ((err as { httpStatus?: number }).httpStatus !== 409) throw err;
    }
  }
  return created;
}
