import { type ArchiveDeps, createArchiveActivities } from '../../activities/archive';
import type { ArchiveActivities } from '../../activities/archive-types';
import { createLogger } from '../../lib/logger';
import type { ObjectStore } from '../../lib/storage/object-store';
import type { AddMediaInput } from '../../tools/blip-sim';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import { createWorkerDeps } from '../../worker/deps';
import { addClosedTicket, mediaLinkMessage, textMessages } from '../support/generated-tickets';

/**
 * One hostile link must not block an archive (issue 13): a media link that answers 503 for ever,
 * or sends its body a byte a second, is tried a bounded number of times (counted on its media
 * row, so restarts do not reset the count), then recorded unavailable with the reason, and the
 * ticket is sealed and indexed. Small budgets keep the run to seconds: 3 attempts, and a download
 * deadline of 1.5 s plus the bytes received at the default minimum rate.
 */

const LATAM = 'atendimentolatam';
const MAX_ATTEMPTS = 3;
/** How long the test waits for an archive before it says the archive is stuck. */
const ARCHIVE_WAIT_MS = 90_000;

let env: ArchiveEnv;
let deps: ArchiveDeps & { close: () => Promise<void> };

beforeAll(async () => {
  env = await startArchiveEnv({
    env: { MEDIA_MAX_ATTEMPTS: String(MAX_ATTEMPTS), MEDIA_DOWNLOAD_DEADLINE_MS: '1500' },
  });
  // The tenant exists from its first webhook on (a ticket without media, archived at once).
  const first = await env.webhook(ticketWith([]), botAuthorization(LATAM));
  await env.result(first.body.workflowId as string);
  // Activities built apart from the env's worker, the way a restarted worker builds them.
  deps = await createWorkerDeps(env.config, createLogger('silent', 'test'));
});
afterAll(async () => {
  await deps?.close();
  await env?.close();
});

/** A closed LATAM ticket with a text and one media-link message per media; returns its id. */
function ticketWith(media: Array<{ uri: string; size: number; type: string }>): string {
  const start = Date.parse('2025-07-01T10:00:00.000Z');
  return addClosedTicket(env.sim, {
    bot: LATAM,
    start,
    contactName: 'Cliente Mídia',
    messages: (id) => [
      ...textMessages(`txt-${id}`, 1, start),
      ...media.map((m, i) => mediaLinkMessage(`media-${i}-${id}`, start + 60_000 * (i + 2), m)),
    ],
  });
}

function addMedia(input: AddMediaInput) {
  const m = env.sim.addMedia(input);
  return { ...m, content: { uri: m.uri, size: m.size, type: input.contentType } };
}

const answers503 = () =>
  addMedia({
    contentType: 'image/jpeg',
    generate: { size: 4_000, seed: 5 },
    hostile: { kind: 'status', status: 503 },
  });

/** The workflow's result, or a failure saying it is stuck (the workflow is then terminated). */
async function archived(workflowId: string) {
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`archive ${workflowId} still running after ${ARCHIVE_WAIT_MS} ms`)),
      ARCHIVE_WAIT_MS,
    );
  });
  try {
    return await Promise.race([env.result(workflowId), stuck]);
  } catch (err) {
    await env.temporal.workflow
      .getHandle(workflowId)
      .terminate('stuck in the media budget test')
      .catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

async function mediaRows(ticketId: string) {
  const { rows } = await env.db.query<{
    message_id: string;
    status: string;
    reason: string | null;
    attempts: number;
    last_error: string | null;
  }>(
    `select message_id, status, reason, attempts, last_error from media
      where tenant_id = $1 and ticket_id = $2 order by message_id`,
    [LATAM, ticketId],
  );
  return rows;
}

test('a link answering 503 for ever and one sending a byte a second: given up after the budget, ticket sealed and indexed', async () => {
  const failing = answers503();
  const trickling = addMedia({
    contentType: 'video/mp4',
    generate: { size: 100_000, seed: 6 },
    hostile: { kind: 'trickle', bytesPerSecond: 1 },
  });
  const good = addMedia({ contentType: 'image/png', generate: { size: 3_000, seed: 7 } });
  const id = ticketWith([failing.content, trickling.content, good.content]);

  const answer = await env.webhook(id, botAuthorization(LATAM));
  expect(answer.statusCode).toBe(202);
  const result = await archived(answer.body.workflowId as string);
  expect(result.messageCount).toBe(4);

  const [rowFailing, rowTrickling, rowGood] = await mediaRows(id);
  expect(rowFailing).toMatchObject({
    status: 'unavailable',
    reason: `gave up after ${MAX_ATTEMPTS} attempts: media host answered HTTP 503`,
    attempts: MAX_ATTEMPTS,
  });
  expect(rowTrickling).toMatchObject({ status: 'unavailable', attempts: MAX_ATTEMPTS });
  expect(rowTrickling?.reason).toMatch(
    new RegExp(
      `^gave up after ${MAX_ATTEMPTS} attempts: download too slow: deadline of \\d+ s passed after \\d+ of 100000 bytes$`,
    ),
  );
  expect(rowGood).toMatchObject({ status: 'stored', attempts: 1 });
  // Each attempt asked the hostile host once: the budget bounds the requests too.
  const asked = env.sim.requestLog.filter((e) => e.kind === 'media' && e.url.includes(failing.path));
  expect(asked).toHaveLength(MAX_ATTEMPTS);

  const { rows } = await env.db.query(
    'select digest, archived_at, indexed_at from tickets where tenant_id = $1 and ticket_id = $2',
    [LATAM, id],
  );
  expect(rows[0]).toMatchObject({ digest: result.digest });
  expect(rows[0].archived_at).toBeInstanceOf(Date);
  expect(rows[0].indexed_at).toBeInstanceOf(Date);
});

/** The activities, built anew each call (a worker restarted between two attempts). */
const restartedWorker = (overrides: Partial<ArchiveDeps> = {}): ArchiveActivities =>
  createArchiveActivities({ ...deps, ...overrides });

async function fetched(media: Array<{ uri: string; size: number; type: string }>) {
  const ref = { tenantId: LATAM, ticketId: ticketWith(media) };
  await restartedWorker().fetchTicket(ref);
  await restartedWorker().fetchMessages(ref);
  return ref;
}

test('the attempt count lives on the media row: a restarted worker goes on counting, then gives up', async () => {
  const ref = await fetched([answers503().content]);
  for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
    await expect(restartedWorker().mirrorMediaBatch(ref)).rejects.toThrow('media host answered HTTP 503');
    expect(await mediaRows(ref.ticketId)).toEqual([
      expect.objectContaining({
        status: 'pending',
        attempts: attempt,
        last_error: 'media host answered HTTP 503',
      }),
    ]);
  }
  await expect(restartedWorker().mirrorMediaBatch(ref)).resolves.toEqual({
    stored: 0,
    unavailable: 1,
    remaining: 0,
  });
  expect((await mediaRows(ref.ticketId))[0]?.reason).toBe(
    `gave up after ${MAX_ATTEMPTS} attempts: media host answered HTTP 503`,
  );
});

test('a link still failing MEDIA_MAX_WAIT_SECONDS (default 30 min) after its first failure is given up before its attempts run out', async () => {
  const ref = await fetched([answers503().content]);
  await expect(restartedWorker().mirrorMediaBatch(ref)).rejects.toThrow('media host answered HTTP 503');
  // Half an hour and a minute pass (on Postgres' clock, which every worker shares).
  await env.db.query(
    `update media set first_failure_at = first_failure_at - interval '31 minutes'
      where tenant_id = $1 and ticket_id = $2`,
    [ref.tenantId, ref.ticketId],
  );
  await expect(restartedWorker().mirrorMediaBatch(ref)).resolves.toMatchObject({
    unavailable: 1,
    remaining: 0,
  });
  expect((await mediaRows(ref.ticketId))[0]).toMatchObject({
    attempts: 2,
    reason: 'gave up after 2 attempts over 31 min: media host answered HTTP 503',
  });
});

test('attempts that never finished (a worker killed each time) count too', async () => {
  const good = addMedia({ contentType: 'image/png', generate: { size: 2_000, seed: 8 } });
  const ref = await fetched([good.content]);
  // As if MAX_ATTEMPTS workers had died mid-download: each counted its attempt, none recorded one.
  await env.db.query('update media set attempts = $3 where tenant_id = $1 and ticket_id = $2', [
    ref.tenantId,
    ref.ticketId,
    MAX_ATTEMPTS,
  ]);
  await expect(restartedWorker().mirrorMediaBatch(ref)).resolves.toMatchObject({
    unavailable: 1,
    remaining: 0,
  });
  expect((await mediaRows(ref.ticketId))[0]?.reason).toBe(
    `gave up after ${MAX_ATTEMPTS} attempts: no attempt finished (the worker stopped or timed out each time)`,
  );
});

test('trouble on our side (the object store down) spends none of the link’s budget', async () => {
  const good = addMedia({ contentType: 'image/png', generate: { size: 2_500, seed: 9 } });
  const ref = await fetched([good.content]);
  const down: ObjectStore = {
    ...deps.store,
    putIfAbsent: async () => {
      throw new Error('storage unavailable');
    },
  };
  for (let i = 0; i < MAX_ATTEMPTS + 1; i++) {
    await expect(restartedWorker({ store: down }).mirrorMediaBatch(ref)).rejects.toThrow(
      /storage unavailable/,
    );
  }
  expect(await mediaRows(ref.ticketId)).toEqual([
    expect.objectContaining({ status: 'pending', attempts: 0 }),
  ]);
  await expect(restartedWorker().mirrorMediaBatch(ref)).resolves.toEqual({
    stored: 1,
    unavailable: 0,
    remaining: 0,
  });
});
