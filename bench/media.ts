import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { eachLimited } from '../lib/each-limited';
import { startArchiveEnv } from '../tools/harness/archive-env';
import { botAuthorization } from '../tools/harness/blip-fixtures';
import { ProcSampler, statusBytes } from './lib/proc';
import type { BenchContext, BenchResult, Cell } from './lib/report';
import { startWorkerChild } from './lib/stack';
import { MB, ratio, round } from './lib/stats';
import { addGeneratedTicket } from './lib/tickets';

/**
 * 3. Media: a large generated video and many small images mirrored by the archive workflow on a
 * worker child process (download → sha-256 → GCS emulator in one streamed pass, straight into the
 * final object: no partial object, no server-side copy, lib/media/keys.ts). Throughput is the sum of the
 * mirrorMediaBatch activities' durations in the workflow history (so Temporal's start-up of the
 * workflow is not counted); baseline: a plain stream copy of the same bytes from the simulator to
 * the emulator through the same storage client, with the same parallelism. Worker memory: RSS
 * growth of the worker process over the run (target < 64 MB).
 */
const LATAM = 'atendimentolatam';
const MEDIA_PARALLELISM = 4;

export async function mediaBench(ctx: BenchContext): Promise<BenchResult> {
  const full = ctx.scale === 'full';
  const videoBytes = full ? 500 * MB : 50 * MB;
  const imageCount = full ? 1000 : 100;
  const env = await startArchiveEnv({
    worker: false,
    env: { MEDIA_MAX_BYTES: String(videoBytes + MB), BLIP_TIMEOUT_MS: '60000' },
  });
  const worker = await startWorkerChild(env.workerEnv);
  const rows: Cell[][] = [];
  const data: Record<string, unknown> = {};
  try {
    // Warm the worker (workflow bundle, connections) so its baseline RSS is its steady state.
    const warm = addGeneratedTicket(env.sim, LATAM, 3, [], 1);
    await env.result((await env.webhook(warm, botAuthorization(LATAM))).body.workflowId as string);

    const seedBase = Date.now() % 1_000_000;
    const cases = [
      {
        name: `1 video, ${round(videoBytes / MB, 0)} MB`,
        media: [
          {
            added: env.sim.addMedia({
              contentType: 'video/mp4',
              generate: { size: videoBytes, seed: seedBase },
            }),
            contentType: 'video/mp4',
            title: 'unboxing.mp4',
          },
        ],
      },
      {
        name: `${imageCount} images, 20–200 KB`,
        media: Array.from({ length: imageCount }, (_, i) => ({
          added: env.sim.addMedia({
            contentType: 'image/jpeg',
            generate: { size: 20_000 + ((i * 7919) % 180_000), seed: seedBase + i + 1 },
          }),
          contentType: 'image/jpeg',
          title: `foto-${i}.jpg`,
        })),
      },
    ];

    for (const [i, c] of cases.entries()) {
      ctx.log(`media: ${c.name}`);
      const bytes = c.media.reduce((s, m) => s + m.added.size, 0);
      const ticketId = addGeneratedTicket(env.sim, LATAM, 4, c.media, 10 + i);
      const sampler = new ProcSampler({ worker: () => [worker.pid] });
      sampler.start(500);
      const t0 = Date.now();
      const answer = await env.webhook(ticketId, botAuthorization(LATAM));
      const result = await env.result(answer.body.workflowId as string);
      const wall = (Date.now() - t0) / 1000;
      const procs = sampler.stop();
      if (result.mediaStored !== c.media.length)
        throw new Error(`${c.name}: stored ${result.mediaStored} of ${c.media.length} media`);
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

      // Baseline: the same bytes, simulator → emulator through the same client, no hashing.
      const b0 = Date.now();
      await eachLimited(c.media, MEDIA_PARALLELISM, async (m) => {
        const res = await request(env.sim.publicUri(env.sim.signedMediaUri(m.added.path)));
        if (res.statusCode !== 200) throw new Error(`simulator answered ${res.statusCode}`);
        const key = `bench/copy/${randomUUID()}`;
        await env.store.put(key, Readable.from(res.body), { contentType: m.contentType });
      });
      const baseSeconds = (Date.now() - b0) / 1000;
      const mirrorSeconds = mirrorMs / 1000;
      const growth = (procs.worker?.peakRss ?? 0) - (procs.worker?.baseRss ?? 0);
      rows.push([
        c.name,
        round(bytes / MB, 1),
        batches,
        round(mirrorSeconds, 2),
        round(bytes / MB / mirrorSeconds, 1),
        round(bytes / MB / baseSeconds, 1),
        ratio(baseSeconds, mirrorSeconds),
        round(wall, 2),
        round(growth / MB, 1),
        round((procs.worker?.cpuSeconds ?? 0) / wall, 2),
      ]);
      data[c.name] = { bytes, batches, mirrorSeconds, baseSeconds, wall, procs };
    }
  } finally {
    data.workerHwm = statusBytes(worker.pid, 'VmHWM');
    await worker.stop();
    await env.close();
  }
  return {
    name: 'media',
    tables: [
      {
        title: 'Media mirror (download → sha-256 → GCS emulator) vs plain stream copy',
        columns: [
          'media',
          'MB',
          'batches',
          'mirror s',
          'mirror MB/s',
          'copy MB/s',
          'mirror ÷ copy',
          'workflow s',
          'worker RSS growth MB',
          'worker cores',
        ],
        rows,
      },
    ],
    notes: [`worker VmHWM ${round((data.workerHwm as number) / MB, 0)} MB (its peak over the whole run)`],
    data,
  };
}
