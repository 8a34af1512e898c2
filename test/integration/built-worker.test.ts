import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../infra/paths';
import { type BuiltWorker, buildWorker } from '../../tools/build-worker';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import { waitFor } from '../../tools/harness/wait';
import { addClosedTicket, textMessages } from '../support/generated-tickets';

/**
 * The worker as production runs it (Dockerfile, infra/k8s/worker.yaml): `npm run build:worker`'s
 * plain JavaScript with its prebuilt workflow bundle, no tsx and no webpack at start. It must find
 * its migrations and workflows from the build alone and archive a ticket end to end.
 */

const LATAM = 'atendimentolatam';
let env: ArchiveEnv;
let built: BuiltWorker;
// Inside the repository, as in the image: the build leaves node_modules outside it, resolved upwards.
const outDir = path.join(repoRoot, 'dist', `test-built-worker-${process.pid}`);
const children: ChildProcess[] = [];

beforeAll(async () => {
  env = await startArchiveEnv({ worker: false });
  built = await buildWorker(outDir);
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await env?.close();
  fs.rmSync(outDir, { recursive: true, force: true });
});

function startBuilt(extraEnv: Record<string, string>) {
  // Plain node: a build that still needed tsx or the TypeScript sources would fail here.
  const child = spawn(process.execPath, [built.main], {
    cwd: outDir,
    env: { ...process.env, ...env.workerEnv, LOG_LEVEL: 'info', NODE_OPTIONS: '', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString('utf8');
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

test('the built worker archives a ticket with its prebuilt workflow bundle', async () => {
  expect(fs.readFileSync(built.main, 'utf8')).not.toMatch(/require\("tsx/);
  const worker = startBuilt({ WORKER_WORKFLOW_BUNDLE: built.workflowBundle });
  await waitFor('the built worker to start', 60_000, () => {
    if (worker.child.exitCode !== null) throw new Error(`built worker exited early:\n${worker.output()}`);
    return worker.output().includes('"msg":"worker started"') ? true : undefined;
  });
  const ticketId = addClosedTicket(env.sim, {
    bot: LATAM,
    start: Date.parse('2026-03-02T12:00:00Z'),
    contactName: 'Cliente Compilado',
    messages: (id) => textMessages(id, 6, Date.parse('2026-03-02T12:01:00Z')),
  });
  const answer = await env.webhook(ticketId, botAuthorization(LATAM));
  expect(answer.statusCode).toBe(202);
  const result = await env.result(answer.body.workflowId as string);
  expect(result).toMatchObject({ messageCount: 6 });
  const stored = await env.db.query(
    `select (select count(*)::int from messages m where m.tenant_id = $1 and m.ticket_id = $2) as messages,
            (select count(*)::int from seals s where s.tenant_id = $1 and s.ticket_id = $2) as seals`,
    [LATAM, ticketId],
  );
  expect(stored.rows[0]).toEqual({ messages: 6, seals: 1 });
  worker.child.kill('SIGTERM');
  expect(await worker.exited).toBe(0);
});

test('a WORKER_WORKFLOW_BUNDLE that does not exist stops the worker naming it, before it connects', async () => {
  const missing = path.join(outDir, 'no-such-bundle.js');
  const worker = startBuilt({ WORKER_WORKFLOW_BUNDLE: missing });
  const code = await Promise.race([
    worker.exited,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`worker still running:\n${worker.output()}`)), 30_000).unref(),
    ),
  ]);
  expect(code).not.toBe(0);
  expect(worker.output()).toMatch(/WORKER_WORKFLOW_BUNDLE: no such file/);
  expect(worker.output()).not.toMatch(/worker started/);
});
