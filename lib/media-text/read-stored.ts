import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type MediaToRead, mediaToRead, saveMediaText } from '../db/media-text';
import type { Db } from '../db/pool';
import type { ObjectStore } from '../storage/object-store';
import type { EngineInfo } from './engine';
import { type Extractor, isExtractable } from './extract';
import type { MediaTextLimits } from './limits';
import { type ExtractOutcome, unreadable } from './outcome';

/**
 * Reads stored media objects of a tenant that this engine version has not read yet, one at a time:
 * copies each object (up to the byte cap) to a private temp directory, runs the extractor, records
 * the outcome in `media_text` and removes the copy. Shared by the media-text activity and the CLI.
 */
export interface MediaTextReaderDeps {
  db: Db;
  store: ObjectStore;
  extractor: Extractor;
  engine: () => Promise<EngineInfo>;
  limits: MediaTextLimits;
  /** Tesseract languages of a tenant (its own setting or the installation's default). */
  languagesOf: (tenantId: string) => Promise<string>;
  /** Called with every file read (metrics, progress). */
  onRead?: (read: FileRead) => void;
}

export interface FileRead {
  tenantId: string;
  media: MediaToRead;
  outcome: ExtractOutcome;
  seconds: number;
}

export interface ReadBatchQuery {
  tenantId: string;
  ticketId?: string;
  since?: Date;
  force?: boolean;
  /** Resume after this sha-256 (the previous batch's `next`). */
  after?: string;
  limit: number;
}

export interface ReadBatchResult {
  read: number;
  ok: number;
  notOk: number;
  /** sha-256 of the objects read, so the tickets holding them can be indexed again. */
  shas: string[];
  /** Where the next batch starts, or null when nothing is left. */
  next: string | null;
}

/** The engine could not run here (not installed): retry on another worker rather than record it. */
export class EngineUnavailableError extends Error {
  override name = 'EngineUnavailableError';
}

export function createMediaTextReader(deps: MediaTextReaderDeps) {
  async function readOne(tenantId: string, media: MediaToRead, languages: string): Promise<FileRead> {
    const started = process.hrtime.bigint();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tv-media-text-'));
    try {
      let outcome: ExtractOutcome;
      if (!isExtractable(media.contentType)) {
        outcome = unreadable(`no text to read in ${media.contentType.slice(0, 80)}`);
      } else if (media.size > deps.limits.maxBytes) {
        outcome = unreadable(`${media.size} bytes is over the cap of ${deps.limits.maxBytes}`);
      } else {
        const file = path.join(dir, 'media');
        const copied = await copyCapped(deps.store, media.storageKey, file, deps.limits.maxBytes);
        outcome = copied
          ? await deps.extractor.extract({ file, contentType: media.contentType, languages, workDir: dir })
          : unreadable(`over the cap of ${deps.limits.maxBytes} bytes`);
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      return { tenantId, media, outcome, seconds };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async function readBatch(q: ReadBatchQuery, onFile?: () => void): Promise<ReadBatchResult> {
    const { engine, version } = await deps.engine();
    const languages = await deps.languagesOf(q.tenantId);
    const batch = await mediaToRead(deps.db, {
      tenantId: q.tenantId,
      ticketId: q.ticketId,
      engine,
      engineVersion: version,
      force: q.force,
      since: q.since,
      after: q.after,
      limit: q.limit,
    });
    const result: ReadBatchResult = { read: 0, ok: 0, notOk: 0, shas: [], next: null };
    for (const media of batch) {
      const read = await readOne(q.tenantId, media, languages);
      if (read.outcome.engineMissing)
        throw new EngineUnavailableError(read.outcome.reason ?? 'engine missing');
      await saveMediaText(deps.db, {
        tenantId: q.tenantId,
        sha256: media.sha256,
        engine,
        engineVersion: version,
        languages,
        status: read.outcome.status,
        reason: read.outcome.reason,
        parts: read.outcome.parts,
        seconds: read.seconds,
      });
      deps.onRead?.(read);
      result.read++;
      if (read.outcome.status === 'ok') result.ok++;
      else result.notOk++;
      result.shas.push(media.sha256);
      onFile?.();
    }
    result.next = batch.length === q.limit ? (batch[batch.length - 1]?.sha256 ?? null) : null;
    return result;
  }

  return { readBatch, readOne };
}

export type MediaTextReader = ReturnType<typeof createMediaTextReader>;

/** Copies an object to `file`; false (and stops reading) once it passes `maxBytes`. */
async function copyCapped(store: ObjectStore, key: string, file: string, maxBytes: number): Promise<boolean> {
  let seen = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      done(seen > maxBytes ? new OverCap() : null, chunk);
    },
  });
  try {
    await pipeline(store.get(key), cap, createWriteStream(file, { mode: 0o600 }));
    return true;
  } catch (err) {
    if (err instanceof OverCap) return false;
    throw err;
  }
}

class OverCap extends Error {}
