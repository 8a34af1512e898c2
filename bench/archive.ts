import { randomUUID } from 'node:crypto';
import { normalizeContact, normalizeMessages, normalizeTicket } from '../lib/blip';
import type { JsonObject } from '../lib/blip/fields';
import { upsertMessages } from '../lib/db/messages';
import { upsertTicket } from '../lib/db/tickets';
import { eachLimited } from '../lib/each-limited';
import type { BlipSimulator } from '../tools/blip-sim';
import { startArchiveEnv } from '../tools/harness/archive-env';
import { botAuthorization } from '../tools/harness/blip-fixtures';
import { ProcSampler, statusBytes } from './lib/proc';
import type { BenchContext, BenchResult } from './lib/report';
import { serviceGroups, startWorkerChild } from './lib/stack';
import { MB, ratio, round, sleep, summarize } from './lib/stats';

/**
 * 2. Archive throughput: N tickets, cloned round-robin from every fixture ticket shape (short
 * text, media-heavy, 270-item paged thread, hostile content, router/tunnel bot) and each given one
 * extra unique generated image, are fired at the webhook at once; the clock stops when every one
 * is sealed and indexed. The worker is the built worker (`npm run build:worker`, as production
 * runs it) as a child process, measured from /proc. Baseline: the same tickets and messages
 * written straight to Postgres, one multi-row insert per ticket (the floor for the persistence part).
 */
export interface ClonedTicket {
  tenantId: string;
  ticketId: string;
  resource: JsonObject;
  messages: JsonObject[];
  contact?: JsonObject;
}

/** Adds `count` closed tickets to the simulator, shaped like its fixtures, each with a new image. */
export function cloneFixtureTickets(sim: BlipSimulator, count: number, seqBase: number): ClonedTicket[] {
  const shapes = sim.fixtures.tickets;
  const out: ClonedTicket[] = [];
  for (let i = 0; i < count; i++) {
    const shape = shapes[i % shapes.length] as (typeof shapes)[number];
    const ticketId = randomUUID();
    const owner = String(shape.resource.ownerIdentity);
    const image = sim.addMedia({
      contentType: 'image/jpeg',
      generate: { size: 20_000 + (i % 8) * 20_000, seed: seqBase + i + 1 },
    });
    const last = shape.messages[shape.messages.length - 1] as JsonObject | undefined;
    const extra: JsonObject = {
      id: `bench-image-${ticketId}`,
      direction: 'received',
      type: 'application/vnd.lime.media-link+json',
      content: { type: 'image/jpeg', uri: image.uri, size: image.size, title: `foto-${i}.jpg` },
      date: (last?.date as string | undefined) ?? new Date().toISOString(),
      status: 'consumed',
    };
    const resource = { ...shape.resource, id: ticketId, sequentialId: seqBase + i };
    const messages = [...shape.messages, extra];
    sim.addTicket({ ticket: resource, messages, contact: shape.contact, tunnel: shape.tunnel });
    out.push({
      tenantId: owner.split('@')[0] as string,
      ticketId,
      resource,
      messages,
      contact: shape.contact,
    });
  }
  return out;
}

const WEBHOOK_ATTEMPTS = 5;

export async function archiveBench(ctx: BenchContext): Promise<BenchResult> {
  const n = ctx.scale === 'full' ? 1000 : 60;
  const env = await startArchiveEnv({
    worker: false,
    env: { WEBHOOK_RATE_LIMIT_PER_MINUTE: '1000000', DATABASE_POOL_MAX: '10' },
  });
  // Text inside media (OCR) runs on its own workers in production (MEDIA_TEXT_CONCURRENCY=0 on the
  // archive workers, docs/operations.md): on this 2-core machine a Tesseract process would take a
  // core from archiving. The media-text benchmark measures it on its own.
  const worker = await startWorkerChild({ ...env.workerEnv, MEDIA_TEXT_CONCURRENCY: '0' });
  try {
    const tickets = cloneFixtureTickets(env.sim, n, 100_000);
    const tenants = [...new Set(tickets.map((t) => t.tenantId))];
    // Admit each tenant first, as an installation that already serves these bots would have.
    for (const t of tenants) {
      const first = tickets.find((x) => x.tenantId === t) as ClonedTicket;
      const a = await env.webhook(first.ticketId, botAuthorization(t));
      await env.result(a.body.workflowId as string);
    }
    const batch = tickets.filter(
      (t) => !tenants.some((tenant) => t === tickets.find((x) => x.tenantId === tenant)),
    );
    ctx.log(`archive: firing ${batch.length} webhooks at once`);

    const sampler = new ProcSampler(
      {
        worker: () => [worker.pid],
        'api+sim': () => [process.pid],
        ...serviceGroups,
      },
      new Set(['api+sim']),
    );
    sampler.start();
    const t0 = Date.now();
    // A caller that retries a 503 (the webhook's answer when Temporal did not take the start in
    // time), a few times, a second apart: the full server on 2 cores refuses part of 998 at once.
    let refused = 0;
    const fire = async (t: ClonedTicket) => {
      for (let attempt = 1; ; attempt++) {
        const a = await env.webhook(t.ticketId, botAuthorization(t.tenantId));
        if (a.statusCode !== 503 || attempt === WEBHOOK_ATTEMPTS) return a;
        refused++;
        await sleep(1000);
      }
    };
    const answers = await Promise.all(batch.map(fire));
    const acceptedMs = Date.now() - t0;
    const bad = answers.filter((a) => a.statusCode !== 202);
    if (bad.length > 0) throw new Error(`${bad.length} webhooks failed: ${JSON.stringify(bad[0])}`);
    const ids = batch.map((t) => t.ticketId);
    let done = 0;
    const deadline = Date.now() + (ctx.scale === 'full' ? 1_500_000 : 240_000);
    while (done < ids.length) {
      if (Date.now() > deadline)
        throw new Error(`only ${done}/${ids.length} tickets archived before the deadline`);
      await sleep(250);
      const { rows } = await env.db.query<{ n: string }>(
        'select count(*) as n from tickets where ticket_id = any($1) and archived_at is not null and indexed_at is not null',
        [ids],
      );
      done = Number(rows[0]?.n);
    }
    const seconds = (Date.now() - t0) / 1000;
    const procs = sampler.stop();
    const { rows } = await env.db.query<{ messages: string; media: string; last: Date; first: Date }>(
      `select sum(message_count) as messages, sum(media_count) as media
         from tickets where ticket_id = any($1)`,
      [ids],
    );
    const { rows: lat } = await env.db.query<{ ms: number }>(
      'select extract(epoch from indexed_at) * 1000 as ms from tickets where ticket_id = any($1)',
      [ids],
    );
    const latencies = summarize(lat.map((r) => Number(r.ms) - t0));
    const messages = Number(rows[0]?.messages);
    const media = Number(rows[0]?.media);
    const hwm = statusBytes(worker.pid, 'VmHWM');

    // Baseline: the same tickets and messages, inserted directly (new ids, same database).
    ctx.log('archive: baseline, direct multi-row inserts');
    const b0 = Date.now();
    let baselineMessages = 0;
    await eachLimited(batch, 10, async (t) => {
      const ticketId = randomUUID();
      const ticket = normalizeTicket({ ...t.resource, id: ticketId });
      await upsertTicket(env.db, {
        tenantId: t.tenantId,
        ticket,
        contact: t.contact ? normalizeContact(t.contact) : null,
        tunnelOriginator: null,
      });
      const msgs = normalizeMessages(t.messages, { customerIdentity: String(t.resource.customerIdentity) });
      await upsertMessages(
        env.db,
        t.tenantId,
        ticketId,
        msgs.map((message, position) => ({ message, position, inTicketWindow: true })),
      );
      baselineMessages += msgs.length;
    });
    const baseSeconds = (Date.now() - b0) / 1000;

    const tps = batch.length / seconds;
    const baseTps = batch.length / baseSeconds;
    const cpuRow = (name: string) => {
      const p = procs[name];
      return [name, round(p?.cpuPercent ?? 0, 0), round((p?.peakRss ?? 0) / MB, 0)];
    };
    return {
      name: 'archive',
      tables: [
        {
          title: `Archive throughput: ${batch.length} tickets fired at once until sealed and indexed`,
          columns: [
            'run',
            'tickets',
            'messages',
            'media',
            'seconds',
            'tickets/s',
            'messages/s',
            'ticket p50 s',
            'ticket p99 s',
            'vs floor',
          ],
          rows: [
            [
              'webhook → Temporal → worker',
              batch.length,
              messages,
              media,
              round(seconds, 1),
              round(tps, 1),
              round(messages / seconds, 0),
              round(latencies.p50 / 1000, 1),
              round(latencies.p99 / 1000, 1),
              ratio(tps, baseTps),
            ],
            [
              'floor: direct multi-row insert',
              batch.length,
              baselineMessages,
              null,
              round(baseSeconds, 2),
              round(baseTps, 0),
              round(baselineMessages / baseSeconds, 0),
              null,
              null,
              1,
            ],
          ],
        },
        {
          title:
            'Archive: CPU (% of one core, over the run) and peak memory (MB, PSS of the process tree) per process',
          columns: ['process', 'CPU %', 'peak MB'],
          rows: [
            ...['worker', 'api+sim', 'postgres', 'temporal', 'typesense', 'gcs'].map(cpuRow),
            ['worker VmHWM', null, round(hwm / MB, 0)],
          ],
        },
      ],
      notes: [
        `webhooks accepted in ${acceptedMs} ms (${refused} answers 503 retried a second later); the machine has 2 cores (200 % in all)`,
      ],
      data: {
        tickets: batch.length,
        messages,
        media,
        seconds,
        acceptedMs,
        refused,
        latencies,
        procs,
        workerHwm: hwm,
        baseSeconds,
        baselineMessages,
      },
    };
  } finally {
    await worker.stop();
    await env.close();
  }
}
