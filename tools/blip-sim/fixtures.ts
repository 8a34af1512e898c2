import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_SIGNING_KEY } from './media-signing';

/**
 * Loads and validates a fixture directory laid out like fixtures/blip (see its
 * index.json "layout"): bots from index.json, every tickets/<id>/ directory, errors/*.json and
 * media/manifest.json. Any directory with that layout works; a mistake is reported with the file
 * and the field, not discovered later as a strange answer.
 */

export type JsonObject = Record<string, unknown>;

export interface SimBot {
  identifier: string;
  identity: string;
  /** atob(accessKey): what the bot key's token carries after "identifier:". */
  secret: string;
  name?: string;
}

export interface SimTicket {
  id: string;
  /** The ticket resource as `get /ticket/{id}` returns it. */
  resource: JsonObject;
  /** Thread-message items, oldest first (pages concatenated). */
  messages: JsonObject[];
  contact?: JsonObject;
  tunnel?: JsonObject;
}

export type MediaSource =
  | { kind: 'file'; file: string }
  | { kind: 'bytes'; bytes: Buffer }
  | { kind: 'generated'; seed: number };

/**
 * A media link that never serves its bytes properly, for tests of the mirror's budget (not Blip
 * behaviour): `status` answers that status to every request, for ever; `trickle` announces the
 * full length and then sends `bytesPerSecond` bytes a second (default 1), which never leaves an
 * idle gap long enough for a body timeout.
 */
export type HostileMedia = { kind: 'status'; status: number } | { kind: 'trickle'; bytesPerSecond?: number };

export interface SimMedia {
  /** The URL path exactly as links carry it (percent-encoded); the signature covers this string. */
  path: string;
  contentType: string;
  size: number;
  sha256?: string;
  requiresSignature: boolean;
  source: MediaSource;
  hostile?: HostileMedia;
}

export interface FixtureSet {
  dir: string;
  mediaHost: string;
  commandsPath: string;
  signingKey: string;
  bots: SimBot[];
  tickets: SimTicket[];
  media: SimMedia[];
  /** errors/*.json by file name: failure envelopes and *.http.json answer descriptions. */
  errors: Record<string, JsonObject>;
  /** Things that look wrong but do not stop the simulator (e.g. a ticket of a bot not in index.json). */
  warnings: string[];
}

export class FixtureError extends Error {
  override name = 'FixtureError';
}

const botSchema = z.object({
  identifier: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/),
  accessKey: z.string().min(1),
  identity: z.string().optional(),
  name: z.string().optional(),
  authorization: z.string().optional(),
});

const indexSchema = z.looseObject({
  bots: z.array(botSchema).min(1),
  mediaHost: z.string().url().optional(),
  commandsPath: z.string().startsWith('/').optional(),
});

const envelopeSchema = z.looseObject({ type: z.string().optional(), resource: z.unknown() });

const ticketResourceSchema = z.looseObject({
  id: z.string().min(1),
  ownerIdentity: z.string().min(1),
  customerIdentity: z.string().min(1),
});

const pageSchema = z.looseObject({
  resource: z.looseObject({ items: z.array(z.looseObject({ id: z.string().min(1) })) }),
});

const manifestSchema = z.looseObject({
  signingKey: z.string().min(1).optional(),
  items: z.array(
    z.object({
      path: z.string().startsWith('/'),
      file: z.string().min(1),
      contentType: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      sha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .optional(),
      requiresSignature: z.boolean().default(true),
      decodable: z.boolean().optional(),
    }),
  ),
});

/** Hashing bigger files at load time would slow start-up for nothing; they are checked by size. */
const VERIFY_SHA_UP_TO_BYTES = 64 * 1024 * 1024;

function readJson(file: string, dir: string): unknown {
  const rel = path.relative(dir, file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new FixtureError(`${rel}: cannot read (${(err as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FixtureError(`${rel}: not valid JSON (${(err as Error).message})`);
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, rel: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new FixtureError(`${rel}: ${issues.join('; ')}`);
  }
  return result.data;
}

/**
 * Validates but returns the value as read: zod rebuilds objects (reordering keys), and the
 * simulator must serve fixture JSON exactly as written.
 */
function check<T>(schema: z.ZodType<T>, value: unknown, rel: string): T {
  parse(schema, value, rel);
  return value as T;
}

function pageNumber(file: string): number {
  return Number(/^messages-page-(\d+)\.json$/.exec(file)?.[1] ?? Number.NaN);
}

function loadTicket(dir: string, ticketDir: string, warnings: string[]): SimTicket {
  const base = path.join(dir, 'tickets', ticketDir);
  const rel = (f: string) => path.join('tickets', ticketDir, f);
  const ticketEnvelope = check(
    envelopeSchema,
    readJson(path.join(base, 'ticket.json'), dir),
    rel('ticket.json'),
  );
  const resource = check(ticketResourceSchema, ticketEnvelope.resource, `${rel('ticket.json')} resource`);
  if (resource.id !== ticketDir) {
    throw new FixtureError(`${rel('ticket.json')}: resource.id ${resource.id} does not match its directory`);
  }
  const files = fs.readdirSync(base);
  const pages = files
    .filter((f) => !Number.isNaN(pageNumber(f)))
    .sort((a, b) => pageNumber(a) - pageNumber(b));
  pages.forEach((file, i) => {
    if (pageNumber(file) !== i + 1) warnings.push(`${rel(file)}: page numbers are not consecutive from 1`);
  });
  const messages = pages.flatMap(
    (file) =>
      check(pageSchema, readJson(path.join(base, file), dir), rel(file)).resource.items as JsonObject[],
  );
  const ids = new Set<string>();
  for (const item of messages) {
    if (ids.has(String(item.id)))
      warnings.push(`tickets/${ticketDir}: message id ${String(item.id)} appears twice`);
    ids.add(String(item.id));
  }
  const optional = (file: string): JsonObject | undefined => {
    if (!files.includes(file)) return undefined;
    const envelope = check(envelopeSchema, readJson(path.join(base, file), dir), rel(file));
    return check(z.looseObject({}), envelope.resource, `${rel(file)} resource`) as JsonObject;
  };
  const contact = optional('contact.json');
  if (contact && typeof contact.identity !== 'string') {
    throw new FixtureError(`${rel('contact.json')}: resource.identity is missing`);
  }
  return {
    id: resource.id,
    resource,
    messages,
    ...(contact ? { contact } : {}),
    ...(files.includes('tunnel.json') ? { tunnel: optional('tunnel.json') } : {}),
  };
}

function loadMedia(dir: string, signingKeyFallback: string): { media: SimMedia[]; signingKey: string } {
  const manifestFile = path.join(dir, 'media', 'manifest.json');
  if (!fs.existsSync(manifestFile)) return { media: [], signingKey: signingKeyFallback };
  const manifest = parse(manifestSchema, readJson(manifestFile, dir), 'media/manifest.json');
  const media = manifest.items.map((item, i): SimMedia => {
    const where = `media/manifest.json items[${i}] (${item.file})`;
    const file = path.resolve(dir, 'media', item.file);
    if (!file.startsWith(path.resolve(dir, 'media') + path.sep)) {
      throw new FixtureError(`${where}: file must stay inside media/`);
    }
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch {
      throw new FixtureError(`${where}: file not found`);
    }
    if (item.size !== undefined && item.size !== size) {
      throw new FixtureError(`${where}: manifest says ${item.size} bytes, file has ${size}`);
    }
    if (item.sha256 && size <= VERIFY_SHA_UP_TO_BYTES) {
      const actual = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
      if (actual !== item.sha256) throw new FixtureError(`${where}: sha256 does not match the file`);
    }
    return {
      path: item.path,
      contentType: item.contentType,
      size,
      ...(item.sha256 ? { sha256: item.sha256 } : {}),
      requiresSignature: item.requiresSignature,
      source: { kind: 'file', file },
    };
  });
  return { media, signingKey: manifest.signingKey ?? signingKeyFallback };
}

function loadErrors(dir: string): Record<string, JsonObject> {
  const errorsDir = path.join(dir, 'errors');
  if (!fs.existsSync(errorsDir)) return {};
  const errors: Record<string, JsonObject> = {};
  for (const file of fs.readdirSync(errorsDir).filter((f) => f.endsWith('.json'))) {
    errors[file] = check(
      z.looseObject({}),
      readJson(path.join(errorsDir, file), dir),
      `errors/${file}`,
    ) as JsonObject;
  }
  return errors;
}

export function loadFixtureDir(dirInput: string): FixtureSet {
  const dir = path.resolve(dirInput);
  if (!fs.existsSync(path.join(dir, 'index.json'))) {
    throw new FixtureError(`${dir}: no index.json; not a Blip fixture directory`);
  }
  const index = parse(indexSchema, readJson(path.join(dir, 'index.json'), dir), 'index.json');
  const warnings: string[] = [];
  const bots = index.bots.map((b, i): SimBot => {
    const secret = Buffer.from(b.accessKey, 'base64').toString('utf8');
    const identity = `${b.identifier}@msging.net`;
    if (b.identity && b.identity !== identity) {
      throw new FixtureError(`index.json bots[${i}]: identity must be ${identity}`);
    }
    const expected = `Key ${Buffer.from(`${b.identifier}:${secret}`).toString('base64')}`;
    if (b.authorization && b.authorization !== expected) {
      throw new FixtureError(`index.json bots[${i}]: authorization does not match identifier and accessKey`);
    }
    return { identifier: b.identifier, identity, secret, ...(b.name ? { name: b.name } : {}) };
  });
  const ticketsDir = path.join(dir, 'tickets');
  const ticketDirs = fs.existsSync(ticketsDir)
    ? fs
        .readdirSync(ticketsDir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
  const tickets = ticketDirs.map((d) => loadTicket(dir, d, warnings));
  const botIdentities = new Set(bots.map((b) => b.identity));
  for (const t of tickets) {
    if (!botIdentities.has(String(t.resource.ownerIdentity))) {
      warnings.push(`tickets/${t.id}: owner ${String(t.resource.ownerIdentity)} is not a bot of index.json`);
    }
  }
  const { media, signingKey } = loadMedia(dir, DEFAULT_SIGNING_KEY);
  return {
    dir,
    mediaHost: (index.mediaHost ?? 'http://blip-media.local').replace(/\/+$/, ''),
    commandsPath: index.commandsPath ?? '/commands',
    signingKey,
    bots,
    tickets,
    media,
    errors: loadErrors(dir),
    warnings,
  };
}
