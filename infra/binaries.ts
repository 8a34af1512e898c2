import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { binDir } from './paths';

/**
 * Finds a service binary: an explicit path from the environment, then PATH, then what
 * `stack provision` put in .stack/bin. A miss is one line naming the service, where it looked
 * and how to fix it.
 */

export class MissingBinaryError extends Error {
  override name = 'MissingBinaryError';
}

export interface BinarySpec {
  service: string;
  envVar: string;
  envValue: string | undefined;
  /** Names tried on PATH, in order. */
  pathNames: string[];
  /** Absolute fallbacks tried after PATH (e.g. provisioned copy, Debian's fixed location). */
  fallbacks: string[];
  fix: string;
}

export interface ResolvedBinary {
  path: string;
  source: 'env' | 'PATH' | 'provisioned';
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

export function resolveBinary(spec: BinarySpec): ResolvedBinary {
  if (spec.envValue) {
    if (isExecutable(spec.envValue)) return { path: spec.envValue, source: 'env' };
    throw new MissingBinaryError(
      `${spec.service}: ${spec.envVar}=${spec.envValue} is not an executable file; fix the path or unset ${spec.envVar}`,
    );
  }
  for (const name of spec.pathNames) {
    const found = findOnPath(name);
    if (found) return { path: found, source: 'PATH' };
  }
  for (const candidate of spec.fallbacks) {
    if (isExecutable(candidate)) return { path: candidate, source: 'provisioned' };
  }
  const looked = [`$${spec.envVar} (unset)`, `PATH (${spec.pathNames.join(', ')})`, ...spec.fallbacks].join(
    ', ',
  );
  throw new MissingBinaryError(`${spec.service}: binary not found; looked in ${looked}. Fix: ${spec.fix}`);
}

/** Runs `<binary> <args>` and returns the first line it prints, or throws naming the service. */
export function probeVersion(service: string, binary: string, args: string[], pattern?: RegExp): string {
  let out: string;
  try {
    out = execFileSync(binary, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    if (!pattern?.test(out)) {
      throw new MissingBinaryError(
        `${service}: ${binary} is broken (${e.message.split('\n')[0]}); reinstall it with \`npm run stack -- provision\``,
      );
    }
  }
  const line = pattern ? (out.match(pattern)?.[0] ?? '') : out.trim().split('\n')[0];
  return (line ?? '').trim();
}

export const provisionedPath = (name: string) => path.join(binDir, name);

export function postgresBinDir(explicit: string | undefined): string {
  if (explicit) {
    if (isExecutable(path.join(explicit, 'postgres'))) return explicit;
    throw new MissingBinaryError(
      `postgres: PG_BIN_DIR=${explicit} has no postgres binary; fix the path or unset it`,
    );
  }
  const onPath = findOnPath('postgres');
  if (onPath) return path.dirname(onPath);
  const debian = '/usr/lib/postgresql';
  const versions = fs.existsSync(debian)
    ? fs
        .readdirSync(debian)
        .filter((v) => isExecutable(path.join(debian, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0]) return path.join(debian, versions[0], 'bin');
  throw new MissingBinaryError(
    "postgres: binary not found; looked in $PG_BIN_DIR (unset), PATH (postgres), /usr/lib/postgresql/*/bin. Fix: `npm run stack -- provision` (installs Debian's postgresql) or set PG_BIN_DIR",
  );
}

export function sha256File(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    let n: number;
    // biome-ignore lint/suspicious/noAssignInExpressions: read loop
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}
