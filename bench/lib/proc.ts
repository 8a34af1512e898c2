import fs from 'node:fs';

/**
 * Process measurements from /proc (Linux): resident memory, its high-water mark and CPU time of
 * a process and of its whole tree (a worker and the Chromium it launched, Postgres and its
 * backends). Everything here reads; nothing signals a process.
 */

const CLK_TCK = 100;

function readFile(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** A /proc/<pid>/status field in bytes (VmRSS, VmHWM), or 0 when the process is gone. */
export function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const text = readFile(`/proc/${pid}/status`);
  const m = text && new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * Proportional set size (bytes): RSS with shared pages divided among the processes sharing them,
 * so a process tree's sum (Chromium's renderers share most of their pages) does not overcount.
 * Falls back to RSS where smaps_rollup is not readable.
 */
export function pssBytes(pid: number): number {
  const text = readFile(`/proc/${pid}/smaps_rollup`);
  const m = text && /^Pss:\s+(\d+) kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : statusBytes(pid, 'VmRSS');
}

/** user + system CPU seconds of one process (its own, not its children's). */
export function cpuSeconds(pid: number): number {
  const text = readFile(`/proc/${pid}/stat`);
  if (!text) return 0;
  // Fields after the command name, which may hold spaces and parentheses.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): utime is field 14, stime 15.
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
}

/**
 * Seconds the threads of one process spent runnable but waiting for a CPU (the run queue), from
 * /proc/<pid>/task/<tid>/schedstat (second field, ns). Only threads alive when read count: a
 * thread that ended meanwhile takes its wait with it, so this is a lower bound.
 */
export function runQueueSeconds(pid: number): number {
  let tasks: string[] = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  let ns = 0;
  for (const t of tasks) {
    const fields = readFile(`/proc/${pid}/task/${t}/schedstat`)?.trim().split(' ');
    ns += Number(fields?.[1] ?? 0) || 0;
  }
  return ns / 1e9;
}

/** pid and all its descendants, from /proc/<pid>/task/<tid>/children. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop() as number;
    if (!fs.existsSync(`/proc/${p}`)) continue;
    out.push(p);
    let tasks: string[] = [];
    try {
      tasks = fs.readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      const children = readFile(`/proc/${p}/task/${t}/children`);
      if (children) for (const c of children.trim().split(/\s+/).filter(Boolean)) stack.push(Number(c));
    }
  }
  return out;
}

export const treeRss = (pid: number): number =>
  processTree(pid).reduce((sum, p) => sum + statusBytes(p, 'VmRSS'), 0);
export const treeCpu = (pids: readonly number[]): number =>
  pids.flatMap((p) => processTree(p)).reduce((sum, p) => sum + cpuSeconds(p), 0);

/** Pids whose command line contains `needle` (e.g. a stack's data directory). */
export function pidsMatching(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = readFile(`/proc/${entry}/cmdline`);
    if (cmd?.replace(/\0/g, ' ').includes(needle)) pids.push(Number(entry));
  }
  return pids;
}

export interface GroupSample {
  cpuSeconds: number;
  cpuPercent: number;
  waitSeconds: number;
  baseRss: number;
  peakRss: number;
}

/**
 * Samples named process groups while a measurement runs: CPU seconds used between start and stop
 * (with CPU% of one core), and the peak summed memory (PSS) of each group's process tree.
 *
 * Reading smaps_rollup of large processes is expensive (the kernel walks their page tables): at
 * 10 samples a second it took a third of a core in the benchmark's own process, which also hosts
 * the API and the simulator. So samples are 1 s apart by default, and the sampler's own CPU time
 * is subtracted from any group that contains this process.
 */
export class ProcSampler {
  private readonly cpu0 = new Map<string, number>();
  private readonly wait0 = new Map<string, number>();
  private readonly peak = new Map<string, number>();
  private readonly base = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private t0 = 0;
  private ownMicros = 0;

  /**
   * `shallow` names groups measured without their descendants: the benchmark's own process (API and
   * simulator) is the parent of the worker it spawns, whose CPU and memory must not count twice.
   */
  constructor(
    private readonly groups: Record<string, () => number[]>,
    private readonly shallow: ReadonlySet<string> = new Set(),
  ) {}

  private pidsOf(name: string): number[] {
    const roots = this.groups[name]?.() ?? [];
    return this.shallow.has(name) ? roots : roots.flatMap((p) => processTree(p));
  }

  private cpuOf(name: string): number {
    return this.pidsOf(name).reduce((s, p) => s + cpuSeconds(p), 0);
  }

  private waitOf(name: string): number {
    return this.pidsOf(name).reduce((s, p) => s + runQueueSeconds(p), 0);
  }

  private rssOf(name: string): number {
    return this.pidsOf(name).reduce((s, p) => s + pssBytes(p), 0);
  }

  start(intervalMs = 1_000): void {
    this.t0 = Date.now();
    for (const name of Object.keys(this.groups)) {
      this.cpu0.set(name, this.cpuOf(name));
      this.wait0.set(name, this.waitOf(name));
      const rss = this.rssOf(name);
      this.base.set(name, rss);
      this.peak.set(name, rss);
    }
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    const before = process.cpuUsage();
    for (const name of Object.keys(this.groups)) {
      const rss = this.rssOf(name);
      if (rss > (this.peak.get(name) ?? 0)) this.peak.set(name, rss);
    }
    const used = process.cpuUsage(before);
    this.ownMicros += used.user + used.system;
  }

  /** CPU seconds the sampling itself has used in this process. */
  get samplerCpuSeconds(): number {
    return this.ownMicros / 1e6;
  }

  /**
   * Per group: cpuSeconds, cpuPercent (of one core), waitSeconds (runnable but waiting for a CPU,
   * summed over threads: a lower bound, see runQueueSeconds), baseRss, peakRss (bytes).
   */
  stop(): Record<string, GroupSample> {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    const seconds = (Date.now() - this.t0) / 1000;
    const out: Record<string, GroupSample> = {};
    for (const name of Object.keys(this.groups)) {
      const roots = this.groups[name]?.() ?? [];
      const own = roots.includes(process.pid) ? this.samplerCpuSeconds : 0;
      const cpu = this.cpuOf(name) - (this.cpu0.get(name) ?? 0) - own;
      out[name] = {
        cpuSeconds: cpu,
        cpuPercent: seconds > 0 ? (100 * cpu) / seconds : 0,
        waitSeconds: this.waitOf(name) - (this.wait0.get(name) ?? 0),
        baseRss: this.base.get(name) ?? 0,
        peakRss: this.peak.get(name) ?? 0,
      };
    }
    return out;
  }
}
