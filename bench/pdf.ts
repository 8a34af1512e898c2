import { request } from 'undici';
import { startArchiveEnv } from '../tools/harness/archive-env';
import { botAuthorization } from '../tools/harness/blip-fixtures';
import { noisePng } from './lib/png';
import { ProcSampler } from './lib/proc';
import type { BenchContext, BenchResult, Cell } from './lib/report';
import { startWorkerChild } from './lib/stack';
import { MB, ratio, round, sleep } from './lib/stats';
import { addGeneratedTicket } from './lib/tickets';

/**
 * 5. PDF export through the API and the exportTicketPdf workflow, on a worker child process:
 * wall time from the request to the stored PDF, and peak memory (PSS) of the worker's process
 * tree (the worker and the Chromium it launches). Chromium is warmed up with a small export first,
 * so its launch is reported apart. Target: under 5 s for 300 messages with 20 images.
 */
const LATAM = 'atendimentolatam';

export async function pdfBench(ctx: BenchContext): Promise<BenchResult> {
  const big = ctx.scale === 'full' ? 10_000 : 2_000;
  const env = await startArchiveEnv({
    worker: false,
    env: { WEBHOOK_RATE_LIMIT_PER_MINUTE: '1000000', BLIP_TIMEOUT_MS: '30000' },
  });
  const worker = await startWorkerChild(env.workerEnv);
  try {
    const images = Array.from({ length: 20 }, (_, i) => ({
      added: env.sim.addMedia({ contentType: 'image/png', bytes: noisePng(480, 360, i + 1) }),
      contentType: 'image/png',
      title: `foto-${i + 1}.png`,
    }));
    const cases = [
      { name: 'warm-up (Chromium launch)', id: addGeneratedTicket(env.sim, LATAM, 10, [], 1) },
      { name: '300 messages + 20 images', id: addGeneratedTicket(env.sim, LATAM, 300, images, 2) },
      { name: `${big} messages`, id: addGeneratedTicket(env.sim, LATAM, big, [], 3) },
    ];
    for (const c of cases) {
      const a = await env.webhook(c.id, botAuthorization(LATAM));
      await env.result(a.body.workflowId as string);
    }
    const login = await env.app.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ auth: botAuthorization(LATAM), user: 'bench@ticket-vault.local' }),
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0] as string;
    const api = async (method: 'GET' | 'POST', url: string) => {
      // A cookie-authenticated POST names its page's origin (api/plugins/origin-check.ts), as a browser does.
      const origin = new URL(env.config.PUBLIC_API_URL).origin;
      const res = await env.app.inject({ method, url, headers: { cookie, origin } });
      return { statusCode: res.statusCode, body: res.json() as Record<string, unknown> };
    };

    const rows: Cell[][] = [];
    const data: Record<string, unknown> = {};
    for (const c of cases) {
      ctx.log(`pdf: ${c.name}`);
      const sampler = new ProcSampler({ tree: () => [worker.pid] });
      sampler.start(250);
      const t0 = Date.now();
      const started = await api('POST', `/v1/tickets/${c.id}/exports`);
      if (started.statusCode !== 202) throw new Error(`export answered ${started.statusCode}`);
      const exportId = started.body.exportId as string;
      let state = (await api('GET', `/v1/exports/${exportId}`)).body;
      while (state.status === 'running') {
        if (Date.now() - t0 > 600_000) throw new Error(`export ${exportId} still running`);
        await sleep(100);
        state = (await api('GET', `/v1/exports/${exportId}`)).body;
      }
      const seconds = (Date.now() - t0) / 1000;
      const procs = sampler.stop();
      if (state.status !== 'done') throw new Error(`export failed: ${JSON.stringify(state)}`);
      const pdf = await request(state.url as string);
      const size = Buffer.from(await pdf.body.arrayBuffer()).length;
      rows.push([
        c.name,
        round(seconds, 2),
        (state.pages as number | undefined) ?? null,
        round(size / MB, 1),
        round((procs.tree?.peakRss ?? 0) / MB, 0),
        round(((procs.tree?.peakRss ?? 0) - (procs.tree?.baseRss ?? 0)) / MB, 0),
        round((procs.tree?.cpuSeconds ?? 0) / seconds, 2),
      ]);
      data[c.name] = { seconds, state, size, procs };
    }
    const target = rows[1]?.[1] as number;
    return {
      name: 'pdf',
      tables: [
        {
          title: 'PDF export (request → stored PDF), worker + Chromium process tree',
          columns: ['ticket', 'seconds', 'pages', 'PDF MB', 'peak MB (PSS)', 'growth MB', 'cores busy'],
          rows,
        },
      ],
      notes: [`300 messages + 20 images: ${ratio(target, 5)} × the 5 s target`],
      data,
    };
  } finally {
    await worker.stop();
    await env.close();
  }
}
