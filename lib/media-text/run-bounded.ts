import { spawn } from 'node:child_process';

/**
 * Runs one engine (tesseract, pdftotext, pdftoppm, pdfinfo) in a child process under an
 * address-space limit (`ulimit -v` through sh, so it works wherever a POSIX shell does), a
 * wall-clock deadline (SIGKILL of its process group) and a cap on the output kept. Never throws:
 * every outcome is a value the caller classifies.
 */
export interface BoundedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
  /** stdout went past maxOutputBytes (the rest was dropped). */
  truncated: boolean;
  /** The program could not be started at all (not installed). */
  spawnError: string | null;
}

export interface RunOptions {
  timeoutMs: number;
  memoryBytes: number;
  maxOutputBytes: number;
}

const STDERR_KEPT = 4096;

export function runBounded(command: string, args: string[], opts: RunOptions): Promise<BoundedRun> {
  const kib = Math.max(1, Math.floor(opts.memoryBytes / 1024));
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    let outBytes = 0;
    let truncated = false;
    let stderr = '';
    let timedOut = false;
    let spawnError: string | null = null;
    // "$0" and "$@" carry the command and its arguments as they are: nothing is parsed by the shell.
    const child = spawn('sh', ['-c', `ulimit -v ${kib} && exec "$@"`, 'sh', command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      // One OCR thread per file: the concurrency of the media-text worker is the CPU it may take.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', OMP_THREAD_LIMIT: '1', LC_ALL: 'C.UTF-8' },
    });
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      if (outBytes >= opts.maxOutputBytes) {
        truncated = true;
        return;
      }
      const keep = chunk.subarray(0, opts.maxOutputBytes - outBytes);
      if (keep.length < chunk.length) truncated = true;
      out.push(keep);
      outBytes += keep.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_KEPT) stderr += chunk.toString('utf8').slice(0, STDERR_KEPT - stderr.length);
    });
    child.on('error', (err) => {
      spawnError = err.message;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // sh exits 127 when the command is not installed.
      if (code === 127 && !spawnError) spawnError = `${command} not found`;
      resolve({ code, signal, stdout: Buffer.concat(out), stderr, timedOut, truncated, spawnError });
    });
  });
}
