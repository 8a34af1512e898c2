import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { repoRoot } from '../infra/paths';
import { eachLimited } from '../lib/each-limited';
import { startArchiveEnv } from '../tools/harness/archive-env';
import { botAuthorization } from '../tools/harness/blip-fixtures';
import { ProcSampler, statusBytes } from './lib/proc';
import type { BenchContext, BenchResult, Cell } from './lib/report';
import { serviceGroups, startWorkerChild } from './lib/stack';
import { MB, round } from './lib/stats';
import { addGeneratedTicket } from './lib/tickets';

/**
 * 3. Media: a large generated video and many small images mirrored by the archive workflow on a
 * worker child process (download → sha-256 → GCS emulator in one streamed pass, straight into the
 * final object: no partial object, no server-side copy, lib/media/keys.ts). Throughput is the sum of the
 * mirrorMediaBatch activities' durations in the workflow history (so Temporal's start-up of the
 * workflow is not counted). Two baselines, both a plain stream copy of the same bytes from the
 * simulator to the emulator through the same storage client, with the same parallelism:
 * - in-process: the copy runs inside the benchmark's process, which also hosts the simulator (two
 *   processes pass the bytes: simulator+copier → emulator);
 * - child: the copy runs in its own process (bench/lib/plain-copy.ts), as a mirror must (it can
 *   never run inside Blip's process): simulator → copier → emulator, the mirror's shape.
 * Each case runs `rounds` rounds of mirror and both copies, in a rotating order (a single sample
 * per case spread 0.64–0.98× between runs); the table gives medians with min–max. Worker memory:
 * RSS growth of the worker process over a mirror (target < 64 MB). CPU: cores used per process
 * during each kind of transfer (medians over rounds), to show which process is the bottleneck.
 */
const LATAM = 'atendimentolatam';
const MEDIA_PARALLELISM = 4;

type Procs = ReturnType<ProcSampler['stop']>;
interface Sample {
  seconds: number;
  /** Cores used per process over the sample (sim = the benchmark's own process). */
  cores: Record<string, number>;
  /** Per process: the share of the sample its threads spent runnable but waiting for a CPU. */
  waits: Record<string, number>;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const spread = (xs: readonly number[], digits = 2): string =>
  xs.length > 1
    ? `${round(median(xs), digits)} (${round(Math.min(...xs), digits)}–${round(Math.max(...xs), digits)})`
    : String(round(xs[0] ?? Number.NaN, digits));
const coresOf = (procs: Procs, seconds: number): Record<string, number> =>
  Object.fromEntries(Object.entries(procs).map(([k, v]) => [k, seconds > 0 ? v.cpuSeconds / seconds : 0]));
const waitsOf = (procs: Procs, seconds: number): Record<string, number> =>
  Object.fromEntries(Object.entries(procs).map(([k, v]) => [k, seconds > 0 ? v.waitSeconds / seconds : 0]));

export async function mediaBench(ctx: BenchContext): Promise<BenchResult> {
  const full = ctx.scale === 'full';
  const videoBytes = full ? 500 * MB : 50 * MB;
  const imageCount = full ? 1000 : 100;
  const videoRounds = Math.max(1, Number(process.env.BENCH_MEDIA_ROUNDS ?? 3));
  const imageRounds = Math.max(1, Number(process.env.BENCH_MEDIA_IMAGE_ROUNDS ?? 1));
  const probes = process.env.BENCH_MEDIA_PROBES === '1';
  const env = await startArchiveEnv({
    worker: false,
    env: { MEDIA_MAX_BYTES: String(videoBytes + MB), BLIP_TIMEOUT_MS: '60000' },
  });
  const worker = await startWorkerChild(env.workerEnv);
  const groups = {
    sim: () => [process.pid],
    worker: () => [worker.pid],
    gcs: serviceGroups.gcs,
    temporal: serviceGroups.temporal,
    postgres: serviceGroups.postgres,
  };
  // The benchmark's process is the worker's parent: measured without its descendants.
  const sampler = () => new ProcSampler(groups, new Set(['sim']));
  const rows: Cell[][] = [];
  const cpuRows: Cell[][] = [];
  const probeRows: Cell[][] = [];
  const data: Record<string, unknown> = {};
  let seq = 10;
  try {
    // Warm the worker (workflow bundle, connections) so its baseline RSS is its steady state.
    // With one large medium (5 MB: the streamed path), so the first round does not pay the
    // worker's and the emulator's first large upload (it measured 3–4× the later rounds).
    const warmVideo = env.sim.addMedia({ contentType: 'video/mp4', generate: { size: 5 * MB, seed: 7 } });
    const warm = addGeneratedTicket(
      env.sim,
      LATAM,
      3,
      [{ added: warmVideo, contentType: 'video/mp4', title: 'warm.mp4' }],
      1,
    );
    await env.result((await env.webhook(warm, botAuthorization(LATAM))).body.workflowId as string);

    type Media = { added: ReturnType<typeof env.sim.addMedia>; contentType: string; title: string };
    const seedBase = Date.now() % 1_000_000;
    const video = (): Media[] => [
      {
        added: env.sim.addMedia({ contentType: 'video/mp4', generate: { size: videoBytes, seed: seedBase } }),
        contentType: 'video/mp4',
        title: 'unboxing.mp4',
      },
    ];
    // Fresh images each round: small media are content-addressed, a second round would store none.
    const images = (round: number): Media[] =>
      Array.from({ length: imageCount }, (_, i) => ({
        added: env.sim.addMedia({
          contentType: 'image/jpeg',
          generate: { size: 20_000 + ((i * 7919) % 180_000), seed: seedBase + 10_000 * (round + 1) + i + 1 },
        }),
        contentType: 'image/jpeg',
        title: `foto-${i}.jpg`,
      }));
    const cases = [
      {
        name: `1 video, ${round(videoBytes / MB, 0)} MB`,
        rounds: videoRounds,
        media: (_r: number) => video(),
      },
      { name: `${imageCount} images, 20–200 KB`, rounds: imageRounds, media: images },
    ];

    /** One archive of a ticket holding `media`: the mirror activities' summed time. */
    async function mirror(media: Media[]) {
      const ticketId = addGeneratedTicket(env.sim, LATAM, 4, media, seq++);
      const s = sampler();
      s.start(500);
      const t0 = Date.now();
      const answer = await env.webhook(ticketId, botAuthorization(LATAM));
      const result = await env.result(answer.body.workflowId as string);
      const wall = (Date.now() - t0) / 1000;
      const procs = s.stop();
      if (result.mediaStored !== media.length)
        throw new Error(`stored ${result.mediaStored} of ${media.length} media`);
      const history = await env.temporal.workflow.getHandle(answer.body.workflowId as string).fetchHistory();
      const started = new Map<string, number>();
      let mirrorMs = 0;
      let batches = 0;
      const scheduledMirror = new Set<string>();
      for (const e of history.events ?? []) {
        const at = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
        const id = String(e.eventId);
        if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'mirrorMediaBatch') {
          scheduledMirror.add(id);
          batches++;
        }
        const st = e.activityTaskStartedEventAttributes;
        if (st && scheduledMirror.has(String(st.scheduledEventId)))
          started.set(String(st.scheduledEventId), at);
        const done = e.activityTaskCompletedEventAttributes;
        if (done && scheduledMirror.has(String(done.scheduledEventId)))
          mirrorMs += at - (started.get(String(done.scheduledEventId)) ?? at);
      }
      const growth = (procs.worker?.peakRss ?? 0) - (procs.worker?.baseRss ?? 0);
      // CPU over the workflow's wall time (it includes Temporal's start and the seal/index).
      return {
        seconds: mirrorMs / 1000,
        wall,
        batches,
        growth,
        cores: coresOf(procs, wall),
        waits: waitsOf(procs, wall),
        load: os.loadavg()[0] as number,
        procs,
      };
    }

    /** The plain copy inside this process (which also hosts the simulator). */
    async function copyInProcess(media: Media[]): Promise<Sample> {
      const s = sampler();
      s.start(500);
      const b0 = Date.now();
      await eachLimited(media, MEDIA_PARALLELISM, async (m) => {
        const res = await request(env.sim.publicUri(env.sim.signedMediaUri(m.added.path)));
        if (res.statusCode !== 200) throw new Error(`simulator answered ${res.statusCode}`);
        const key = `bench/copy/${randomUUID()}`;
        await env.store.put(key, Readable.from(res.body), { contentType: m.contentType });
      });
      const seconds = (Date.now() - b0) / 1000;
      const procs = s.stop();
      return { seconds, cores: coresOf(procs, seconds), waits: waitsOf(procs, seconds) };
    }

    /** The plain copy (or a probe, see bench/lib/plain-copy.ts) in a process of its own. */
    async function copyInChild(media: Media[], mode = 'copy'): Promise<Sample> {
      const job = {
        mode,
        bucket: env.workerEnv.GCS_BUCKET,
        projectId: env.workerEnv.GCS_PROJECT_ID ?? 'ticket-vault-local',
        emulatorHost: env.workerEnv.STORAGE_EMULATOR_HOST,
        parallelism: MEDIA_PARALLELISM,
        items: media.map((m) => ({
          url: env.sim.publicUri(env.sim.signedMediaUri(m.added.path)),
          contentType: m.contentType,
          size: m.added.size,
        })),
      };
      // The job goes through stdin: 1 000 signed links are more than one argument may hold (128 KiB).
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(__dirname, 'lib', 'plain-copy.ts')],
        {
          cwd: repoRoot,
          env: process.env,
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      );
      child.stdin.end(JSON.stringify(job));
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
      // The sampler covers the child's whole life (its start-up costs the sim and emulator nothing).
      const s = sampler();
      s.start(500);
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      const procs = s.stop();
      if (code !== 0) throw new Error(`plain copy (${mode}) exited ${code}: ${err.slice(-2000)}`);
      const r = JSON.parse(out.trim().split('\n').pop() as string) as {
        seconds: number;
        cpuSeconds: number;
        waitSeconds: number;
      };
      const cores = coresOf(procs, r.seconds);
      cores.copier = r.cpuSeconds / r.seconds;
      const waits = waitsOf(procs, r.seconds);
      waits.copier = r.waitSeconds / r.seconds;
      return { seconds: r.seconds, cores, waits };
    }

    for (const c of cases) {
      const mirrors: Awaited<ReturnType<typeof mirror>>[] = [];
      const inProc: Sample[] = [];
      const inChild: Sample[] = [];
      let bytes = 0;
      for (let r = 0; r < c.rounds; r++) {
        const media = c.media(r);
        bytes = media.reduce((s, m) => s + m.added.size, 0);
        // Rotate the order so that no kind always runs first (or right after a mirror's seal/index).
        const steps = [
          async () => mirrors.push(await mirror(media)),
          async () => inProc.push(await copyInProcess(media)),
          async () => inChild.push(await copyInChild(media)),
        ];
        for (let k = 0; k < steps.length; k++)
          await (steps[(k + r) % steps.length] as () => Promise<unknown>)();
        const last = mirrors[mirrors.length - 1];
        ctx.log(
          `media: ${c.name} round ${r + 1}/${c.rounds}: mirror ${round(last?.seconds ?? 0, 2)} s, copy ${round(inProc[inProc.length - 1]?.seconds ?? 0, 2)} s, child copy ${round(inChild[inChild.length - 1]?.seconds ?? 0, 2)} s`,
        );
      }
      const m = mirrors.map((x) => x.seconds);
      const ratioIn = mirrors.map((x, i) => (inProc[i]?.seconds ?? Number.NaN) / x.seconds);
      const ratioChild = mirrors.map((x, i) => (inChild[i]?.seconds ?? Number.NaN) / x.seconds);
      const growth = Math.max(...mirrors.map((x) => x.growth));
      rows.push([
        c.name,
        round(bytes / MB, 1),
        c.rounds,
        spread(m),
        round(bytes / MB / median(m), 1),
        round(bytes / MB / median(inProc.map((x) => x.seconds)), 1),
        round(bytes / MB / median(inChild.map((x) => x.seconds)), 1),
        spread(ratioIn),
        spread(ratioChild),
        round(median(mirrors.map((x) => x.wall)), 2),
        round(growth / MB, 1),
      ]);
      // "cores used / cores' worth of threads waiting for a CPU" (medians): a stage that waits more
      // than it runs is held up by the machine, not by its own work.
      const cores = (
        samples: { cores: Record<string, number>; waits: Record<string, number> }[],
        k: string,
      ) =>
        `${round(median(samples.map((x) => x.cores[k] ?? 0)), 2)} / ${round(median(samples.map((x) => x.waits[k] ?? 0)), 2)}`;
      cpuRows.push([
        c.name,
        'mirror',
        cores(mirrors, 'sim'),
        cores(mirrors, 'worker'),
        cores(mirrors, 'gcs'),
        cores(mirrors, 'temporal'),
        cores(mirrors, 'postgres'),
      ]);
      cpuRows.push([
        c.name,
        'copy in the sim process',
        cores(inProc, 'sim'),
        '—',
        cores(inProc, 'gcs'),
        '—',
        '—',
      ]);
      cpuRows.push([
        c.name,
        'copy in a child process',
        cores(inChild, 'sim'),
        cores(inChild, 'copier'),
        cores(inChild, 'gcs'),
        '—',
        '—',
      ]);
      data[c.name] = { bytes, mirrors, inProcess: inProc, child: inChild, loadAfter: os.loadavg() };
      ctx.log(
        `media: ${c.name} done, load average ${os
          .loadavg()
          .map((l) => round(l, 1))
          .join(' ')}`,
      );

      if (probes && c.rounds === videoRounds && c.media === cases[0]?.media) {
        const media = c.media(0);
        for (const mode of ['download', 'upload', 'put'] as const) {
          const p = await copyInChild(media, mode);
          const cw = (k: string) => `${round(p.cores[k] ?? 0, 2)} / ${round(p.waits[k] ?? 0, 2)}`;
          probeRows.push([
            c.name,
            mode,
            round(p.seconds, 2),
            round(bytes / MB / p.seconds, 1),
            cw('sim'),
            cw('copier'),
            cw('gcs'),
          ]);
          ctx.log(`media probe ${mode}: ${round(p.seconds, 2)} s`);
        }
        data.probes = probeRows;
      }
    }
  } finally {
    data.workerHwm = statusBytes(worker.pid, 'VmHWM');
    await worker.stop();
    await env.close();
  }
  const tables = [
    {
      title:
        'Media mirror (download → sha-256 → GCS emulator) vs plain stream copy (medians, min–max over rounds)',
      columns: [
        'media',
        'MB',
        'rounds',
        'mirror s',
        'mirror MB/s',
        'copy MB/s (in sim process)',
        'copy MB/s (child process)',
        'mirror ÷ copy (in sim process)',
        'mirror ÷ copy (child process)',
        'workflow s',
        'worker RSS growth MB (max)',
      ],
      rows,
    },
    {
      title:
        'Cores used / cores waiting for a CPU (run queue), per process during each transfer (medians over rounds; mirror over the workflow)',
      columns: [
        'media',
        'transfer',
        'sim (bench)',
        'worker / copier',
        'gcs emulator',
        'temporal',
        'postgres',
      ],
      rows: cpuRows,
    },
  ];
  if (probeRows.length > 0)
    tables.push({
      title:
        'Probes (child process): the simulator alone (download), the emulator alone (upload), a plain media POST (put)',
      columns: [
        'media',
        'probe',
        's',
        'MB/s',
        'sim cores / waiting',
        'copier cores / waiting',
        'gcs cores / waiting',
      ],
      rows: probeRows,
    });
  return {
    name: 'media',
    tables,
    notes: [`worker VmHWM ${round((data.workerHwm as number) / MB, 0)} MB (its peak over the whole run)`],
    data,
  };
}
