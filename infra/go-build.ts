import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { findOnPath, provisionedPath, sha256File } from './binaries';
import { binDir, cacheDir, checksumsFile, stackDir } from './paths';

/**
 * Binaries built from Go modules (the full Temporal server, its SQL schema tool and the standalone
 * Temporal Web UI server), for `npm run stack -- up --temporal server` only.
 *
 * What is pinned, and why not the binary alone: a wheel is a fixed file, so infra/pins.json pins
 * its bytes. A Go build is compiled here, and its bytes depend on the toolchain and the build
 * flags, so the pin is on the inputs instead:
 * - `module@version` and the module's `h1:` hash (`moduleSum`, what `go mod download -json`
 *   reports and the Go checksum database vouches for): the source;
 * - the sha-256 of the module's `go.sum` (`goSumSha256`): every dependency's hash, which the go
 *   command checks each download against (and against sum.golang.org);
 * - the toolchain (`goToolchain`, fetched from the Go module proxy through GOTOOLCHAIN when the
 *   local `go` is older, itself checked against the checksum database).
 * We build with CGO_ENABLED=0 and -trimpath, which Go's toolchains (1.21+) make reproducible, so
 * the same inputs give the same bytes: `builtSha256` records what this machine built, and a
 * different result is reported (not refused: it means a different toolchain or platform, not a
 * changed source, which the pins above already refuse). As for the wheels, the sha-256 of what was
 * built is recorded in `.stack/checksums.json`, and a provisioned binary that no longer matches
 * its record is rebuilt.
 */

export interface GoPin {
  goModule: string;
  version: string;
  moduleSum: string;
  goSumSha256: string;
  goToolchain: string;
  /** Binary name in .stack/bin → package path inside the module. */
  packages: Record<string, string>;
  builtSha256: Record<string, string>;
  /** A directory of the module copied to .stack/share/<name> (e.g. the SQL schema). */
  share?: { from: string; to: string };
  buildMinutes?: string;
}

type Log = (line: string) => void;

export const shareDir = path.join(stackDir, 'share');

function recorded(): Record<string, string> {
  return fs.existsSync(checksumsFile) ? JSON.parse(fs.readFileSync(checksumsFile, 'utf8')) : {};
}

function record(binary: string, sha: string): void {
  const current = recorded();
  current[binary] = sha;
  fs.writeFileSync(checksumsFile, `${JSON.stringify(current, null, 2)}\n`);
}

function goEnv(pin: GoPin, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOTOOLCHAIN: pin.goToolchain,
    CGO_ENABLED: '0',
    GOFLAGS: '-trimpath -buildvcs=false',
    GO111MODULE: 'on',
    ...extra,
  };
}

function goBinary(service: string): string {
  const go = findOnPath('go');
  if (!go)
    throw new Error(
      `${service}: building it needs the go command (any Go 1.21+; the pinned toolchain comes from the Go module proxy): apt-get install golang-go, or set the explicit binary paths`,
    );
  return go;
}

/** Downloads the module (source only) and checks its hash and its go.sum against the pins; returns its directory. */
export function fetchGoModule(service: string, pin: GoPin, log: Log): string {
  const go = goBinary(service);
  fs.mkdirSync(cacheDir, { recursive: true });
  log(`${service}: checking ${pin.goModule}@${pin.version} from the Go module proxy`);
  const out = execFileSync(go, ['mod', 'download', '-json', `${pin.goModule}@${pin.version}`], {
    cwd: cacheDir,
    env: goEnv(pin),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 15 * 60_000,
  });
  const info = JSON.parse(out) as { Dir?: string; Sum?: string; Error?: string };
  if (info.Error || !info.Dir) throw new Error(`${service}: go mod download failed: ${info.Error ?? out}`);
  if (info.Sum !== pin.moduleSum)
    throw new Error(
      `${service}: ${pin.goModule}@${pin.version} has hash ${info.Sum}, pinned ${pin.moduleSum}; update infra/pins.json only if the change is trusted`,
    );
  const goSum = sha256File(path.join(info.Dir, 'go.sum'));
  if (goSum !== pin.goSumSha256)
    throw new Error(
      `${service}: go.sum of ${pin.goModule}@${pin.version} has sha-256 ${goSum}, pinned ${pin.goSumSha256}`,
    );
  return info.Dir;
}

/** True when every binary of the pin is in .stack/bin and still matches what was recorded when it was built. */
export function goBinariesProvisioned(pin: GoPin): boolean {
  const sums = recorded();
  const binsOk = Object.keys(pin.packages).every((name) => {
    const file = provisionedPath(name);
    return fs.existsSync(file) && sums[name] !== undefined && sha256File(file) === sums[name];
  });
  return binsOk && (!pin.share || fs.existsSync(path.join(shareDir, pin.share.to)));
}

/**
 * Builds the pinned packages with `go install` (niced: it takes minutes on a small machine) into a
 * build directory, then moves them into .stack/bin under their stack names and records their sha-256.
 */
export function provisionGoBinaries(service: string, pin: GoPin, log: Log): void {
  if (goBinariesProvisioned(pin)) {
    log(`${service}: ${Object.keys(pin.packages).join(', ')} (${pin.version}) already provisioned`);
    return;
  }
  const moduleDir = fetchGoModule(service, pin, log);
  const go = goBinary(service);
  const buildDir = path.join(cacheDir, `go-${Object.keys(pin.packages)[0]}-${pin.version}`);
  fs.mkdirSync(buildDir, { recursive: true });
  fs.mkdirSync(binDir, { recursive: true });
  const targets = Object.entries(pin.packages);
  log(
    `${service}: building ${targets.map(([, p]) => p).join(', ')} of ${pin.goModule}@${pin.version} with ${pin.goToolchain}${pin.buildMinutes ? ` (about ${pin.buildMinutes} minutes on 2 cores the first time)` : ''}`,
  );
  const t0 = Date.now();
  // Packages named alike (cmd/server of two modules) are built one module at a time into their own GOBIN.
  const nice = findOnPath('nice');
  const args = ['install', ...targets.map(([, p]) => `${pin.goModule}/${p}@${pin.version}`)];
  execFileSync(nice ?? go, nice ? ['-n', '10', go, ...args] : args, {
    cwd: cacheDir,
    env: goEnv(pin, { GOBIN: buildDir }),
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 60 * 60_000,
  });
  log(`${service}: built in ${((Date.now() - t0) / 60_000).toFixed(1)} min`);
  for (const [name, pkg] of targets) {
    const built = path.join(buildDir, path.basename(pkg));
    const sha = sha256File(built);
    const target = provisionedPath(name);
    fs.copyFileSync(built, `${target}.partial`);
    fs.chmodSync(`${target}.partial`, 0o755);
    fs.renameSync(`${target}.partial`, target);
    record(name, sha);
    if (pin.builtSha256[name] && pin.builtSha256[name] !== sha)
      log(
        `${service}: note: ${name} built to sha-256 ${sha}, infra/pins.json recorded ${pin.builtSha256[name]} (a different toolchain or platform; the source pins matched)`,
      );
    log(`${service}: provisioned ${target} (${pin.version})`);
  }
  copyShare(moduleDir, pin);
}

function copyShare(moduleDir: string, pin: GoPin): void {
  if (!pin.share) return;
  const to = path.join(shareDir, pin.share.to);
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.cpSync(path.join(moduleDir, pin.share.from), to, { recursive: true });
  // The module cache is read-only; the copy need not be.
  execFileSync('chmod', ['-R', 'u+w', to]);
}

/** Only the shared files of the pinned module (e.g. the schema when the binaries are given by path). */
export function provisionGoShare(service: string, pin: GoPin, log: Log): void {
  if (!pin.share || fs.existsSync(path.join(shareDir, pin.share.to))) return;
  copyShare(fetchGoModule(service, pin, log), pin);
}
