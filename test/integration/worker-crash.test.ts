import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeTimeoutType, TimeoutType } from '@temporalio/common';
import { repoRoot } from '../../infra/paths';
import { ticketMediaPrefix } from '../../lib/media/keys';
import { createStorageClient } from '../../lib/storage/gcs-store';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import { waitFor } from '../../tools/harness/wait';
import { addClosedTicket, mediaLinkMessage, textMessages } from '../support/generated-tickets';

/**
 * A worker process killed (SIGKILL, no chance to clean up) in the middle of a large media
 * download: Temporal notices the missing heartbeats, a new worker process retries the batch,
 * and the archive ends complete, with the media stored once under its true sha-256.
 */

const LATAM = 'atendimentolatam';
const MEDIA_SIZE = 200 * 1024 * 1024;
/** The media heartbeat timeout, then retry backoff, sticky-queue hand-over and a full re-download. */
const RECOVERY_TIMEOUT_MS = 150_000;

let env: ArchiveEnv;
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-worker-crash-'));
const workers: WorkerProcess[] = [];
/** Objects to remove after the test: 200 MB has no business staying in the shared emulator. */
const objectsToDelete: string[] = [];

interface WorkerProcess {
  child: ChildProcess;
  /** Where os.tmpdir() points inside the worker: its media downloads land here. */
  tmpdir: string;
  output: () => string;
  exited: Promise<void>;
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(w: WorkerProcess): void {
  const pid = w.child.pid;
  if (pid !== undefined && groupAlive(pid)) process.kill(-pid, 'SIGKILL');
}

/** `worker/main.ts` as its own process (group), configured like this test's archive env. */
async function startWorkerProcess(name: string): Promise<WorkerProcess> {
  const tmpdir = fs.mkdtempSync(path.join(tmpRoot, `${name}-`));
  const child = spawn(path.join(repoRoot, 'node_modules/.bin/tsx'), ['worker/main.ts'], {
    cwd: repoRoot,
    env: { ...process.env, ...env.workerEnv, LOG_LEVEL: 'info', TMPDIR: tmpdir },
    // Its own process group: tsx runs node as a child, and a kill must reach both.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString('utf8');
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const w: WorkerProcess = { child, tmpdir, output: () => output, exited };
  workers.push(w);
  await waitFor(
    `worker ${name} to start`,
    60_000,
    () => {
      if (child.exitCode !== null) throw new Error(`worker ${name} exited early:\n${output}`);
      return output.includes('"msg":"worker started"') ? true : undefined;
    },
    20,
  );
  return w;
}

/** Every object under the tenant's prefix but its seal copies (`<tenant>/seals/`): media and partial uploads. */
async function tenantObjects() {
  const storage = createStorageClient({
    bucket: env.config.GCS_BUCKET,
    projectId: env.config.GCS_PROJECT_ID,
    emulatorHost: env.config.STORAGE_EMULATOR_HOST,
  });
  const [objects] = await storage.bucket(env.config.GCS_BUCKET).getFiles({ prefix: `${LATAM}/` });
  return objects.filter((o) => !o.name.startsWith(`${LATAM}/seals/`));
}

beforeAll(async () => {
  env = await startArchiveEnv({
    worker: false,
    env: { MEDIA_MAX_BYTES: String(256 * 1024 * 1024), BLIP_TIMEOUT_MS: '30000' },
  });
});

afterAll(async () => {
  for (const w of workers) killGroup(w);
  await Promise.all(
    workers.map((w) => Promise.race([w.exited, new Promise((r) => setTimeout(r, 5_000).unref())])),
  );
  for (const key of objectsToDelete) await env?.store.delete(key).catch(() => undefined);
  await env?.close();
  fs.rmSync(tmpRoot, { recursive: true, force: true });
});

test(
  'SIGKILL of the worker mid-download: a new worker finishes the archive, media stored once',
  async () => {
    const media = env.sim.addMedia({ contentType: 'video/mp4', generate: { size: MEDIA_SIZE, seed: 42 } });
    const expectedSha = await media.sha256();
    const start = Date.parse('2025-06-01T10:00:00.000Z');
    const ticketId = randomUUID();
    const messages = [
      ...textMessages(`crash-${ticketId}`, 6, start),
      mediaLinkMessage(`crash-${ticketId}-video`, start + 10_000, {
        type: 'video/mp4',
        uri: media.uri,
        size: media.size,
        title: 'unboxing.mp4',
      }),
    ];
    addClosedTicket(env.sim, {
      id: ticketId,
      bot: LATAM,
      start,
      customer: '5511987654321@wa.gw.msging.net',
      sequentialId: 7001,
      contactName: 'Cliente Vídeo',
      messages: () => messages,
    });

    const first = await startWorkerProcess('first');
    const answer = await env.webhook(ticketId, botAuthorization(LATAM));
    expect(answer.statusCode).toBe(202);
    const workflowId = answer.body.workflowId as string;

    // The transfer is well under way: the simulator has sent 16 MiB, which back-pressure only lets
    // through once the worker is streaming them on to GCS.
    const sentBeforeKill = await waitFor(
      'the media transfer to be under way',
      60_000,
      () => {
        const sent = env.sim.requestLog
          .filter((e) => e.kind === 'media' && e.url.startsWith(media.path))
          .reduce((sum, e) => sum + (e.bytesSent ?? 0), 0);
        return sent >= 16 * 1024 * 1024 ? sent : undefined;
      },
      5,
    );
    killGroup(first);
    await Promise.race([
      first.exited,
      new Promise((_, reject) => setTimeout(() => reject(new Error('killed worker did not exit')), 10_000)),
    ]);
    await waitFor(
      'the killed worker process group to be gone',
      10_000,
      () => (first.child.pid !== undefined && groupAlive(first.child.pid) ? undefined : true),
      20,
    );
    // Killed mid-media: its streamed upload never completed, so nothing of the tenant is in GCS.
    expect(sentBeforeKill).toBeLessThan(MEDIA_SIZE);
    expect(await tenantObjects()).toEqual([]);
    const stateAtKill = await env.db.query<{ status: string }>(
      'select status from media where tenant_id = $1 and ticket_id = $2',
      [LATAM, ticketId],
    );
    expect(stateAtKill.rows).toEqual([{ status: 'pending' }]);

    await startWorkerProcess('second');
    const result = await Promise.race([
      env.result(workflowId),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`${workflowId} did not complete after the kill`)),
          RECOVERY_TIMEOUT_MS,
        ).unref(),
      ),
    ]);
    expect(result).toMatchObject({ messageCount: messages.length, mediaStored: 1, mediaUnavailable: 0 });

    // The batch was retried because the killed attempt stopped heartbeating.
    const history = await env.temporal.workflow.getHandle(workflowId).fetchHistory();
    const scheduled = (history.events ?? []).filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'mirrorMediaBatch',
    );
    expect(scheduled).toHaveLength(1);
    const started = (history.events ?? []).find(
      (e) =>
        e.activityTaskStartedEventAttributes &&
        String(e.activityTaskStartedEventAttributes.scheduledEventId) === String(scheduled[0]?.eventId),
    )?.activityTaskStartedEventAttributes;
    expect(started?.attempt).toBe(2);
    expect(decodeTimeoutType(started?.lastFailure?.timeoutFailureInfo?.timeoutType)).toBe(
      TimeoutType.HEARTBEAT,
    );

    // The media row is stored with the simulator's own sha-256 and size.
    const { rows: mediaRows } = await env.db.query<{
      status: string;
      sha256: string;
      size: string;
      storage_key: string;
    }>('select status, sha256, size, storage_key from media where tenant_id = $1 and ticket_id = $2', [
      LATAM,
      ticketId,
    ]);
    const storageKey = mediaRows[0]?.storage_key as string;
    objectsToDelete.push(storageKey);
    expect(mediaRows).toEqual([
      {
        status: 'stored',
        sha256: expectedSha,
        size: String(MEDIA_SIZE),
        // Streamed straight into a name of its own under the ticket's prefix (lib/media/keys.ts).
        storage_key: expect.stringMatching(new RegExp(`^${ticketMediaPrefix(LATAM, ticketId)}[0-9a-f]{32}-`)),
      },
    ]);

    // Exactly one object of the tenant in GCS (the killed upload left none, no partial upload, no
    // copy), complete: its bytes hash to the same sha-256.
    const objects = await tenantObjects();
    expect(objects.map((o) => o.name)).toEqual([storageKey]);
    expect(Number(objects[0]?.metadata.size)).toBe(MEDIA_SIZE);
    const hash = createHash('sha256');
    for await (const chunk of env.store.get(storageKey)) hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(expectedSha);

    // Messages were paged once, before the kill: each stored once, in order.
    const { rows: messageRows } = await env.db.query<{ message_id: string; position: number }>(
      'select message_id, position from messages where tenant_id = $1 and ticket_id = $2 order by position',
      [LATAM, ticketId],
    );
    expect(messageRows.map((r) => r.message_id)).toEqual(messages.map((m) => m.id));
    expect(messageRows.map((r) => r.position)).toEqual(messages.map((_, i) => i));
    const ticket = await env.db.query(
      'select message_count, digest from tickets where tenant_id = $1 and ticket_id = $2',
      [LATAM, ticketId],
    );
    expect(ticket.rows[0]).toEqual({ message_count: messages.length, digest: result.digest });
  },
  // Worker start-ups, the media heartbeat timeout and two 200 MB downloads.
  60_000 + RECOVERY_TIMEOUT_MS,
);
