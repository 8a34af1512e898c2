import { type SpawnOptions, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { logDir, runDir } from './paths';

/**
 * Background service processes tracked by pid files, so `stack down` (or the test teardown, or a
 * Ctrl-C of `npm start`) can stop exactly what was started, even from another process.
 */

export function pidFile(name: string): string {
  return path.join(runDir, `${name}.pid`);
}

export function logFile(name: string): string {
  return path.join(logDir, `${name}.log`);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readPid(name: string): number | null {
  try {
    const pid = Number(fs.readFileSync(pidFile(name), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
  } catch {
    return null;
  }
}

export function startDetached(
  name: string,
  command: string,
  args: string[],
  options: Pick<SpawnOptions, 'cwd' | 'env' | 'uid' | 'gid'> = {},
): number {
  fs.mkdirSync(runDir, { recursive: true });
  fs.mkdirSync(logDir, { recursive: true });
  const out = fs.openSync(logFile(name), 'a');
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  child.unref();
  fs.writeFileSync(pidFile(name), String(child.pid));
  return child.pid;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM (or the given signal), then SIGKILL after the grace period. */
export async function stopProcess(name: string, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000) {
  const pid = readPid(name);
  fs.rmSync(pidFile(name), { force: true });
  if (pid === null) return false;
  try {
    process.kill(pid, signal);
  } catch {
    return false;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
  return true;
}

/** Last lines of a service log, to show why it died. */
export function tailLog(name: string, lines = 15): string {
  try {
    return fs.readFileSync(logFile(name), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  {
    timeoutMs = 60_000,
    intervalMs = 250,
    alive,
  }: { timeoutMs?: number; intervalMs?: number; alive?: () => boolean } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    if (alive && !alive()) throw new Error(`${what} exited while starting`);
    await sleep(intervalMs);
  }
  throw new Error(`${what} did not become healthy within ${Math.round(timeoutMs / 1000)} s`);
}
