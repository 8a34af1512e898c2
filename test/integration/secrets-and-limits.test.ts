import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization, fixtureIndex } from '../../tools/harness/blip-fixtures';

/**
 * Secrets and limits (docs/architecture.md rules 1 and 6): bot keys never reach Temporal history, Typesense
 * or exports; signed URLs are short-lived and name one object; searches are rate limited per
 * tenant without a forged key being able to spend a tenant's quota.
 */

let env: ArchiveEnv;
const LATAM = 'atendimentolatam';
const index = fixtureIndex();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-secrets-'));

/** Every form a key could leak in: the header value, its base64 token, the decoded pair, the secret. */
function keyForms(): string[] {
  return index.bots.flatMap((b) => {
    const token = b.authorization.slice(4);
    return [b.authorization, token, Buffer.from(token, 'base64').toString('utf8'), b.accessKey];
  });
}

beforeAll(async () => {
  env = await startArchiveEnv({ env: { SEARCH_RATE_LIMIT_PER_MINUTE: '5', SIGNED_URL_TTL_SECONDS: '120' } });
  const answers = await Promise.all(
    index.tickets.map((t) => env.webhook(t.id, botAuthorization(t.bot.split('@')[0] as string))),
  );
  for (const a of answers) await env.result(a.body.workflowId as string);
});
afterAll(async () => {
  await env?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

test('no bot key in any workflow history, search document or exported PDF', async () => {
  const forms = keyForms();
  for (const t of index.tickets) {
    const history = await env.temporal.workflow
      .getHandle(`archive/${t.bot.split('@')[0]}/${t.id}`)
      .fetchHistory();
    const text = JSON.stringify(history);
    for (const form of forms) expect(text.includes(form)).toBe(false);
  }

  for (const [kind, name] of Object.entries(env.collections)) {
    const docs = (await env.search.collections(name).documents().export()) as unknown as string;
    // The recent-messages copy is empty while the text window is off (SEARCH_TEXT_DEFAULT_MONTHS=0).
    if (kind !== 'messagesRecent') expect(docs.length).toBeGreaterThan(0);
    for (const form of forms) expect(docs.includes(form)).toBe(false);
  }

  const started = await env.app.inject({
    method: 'POST',
    url: '/v1/tickets/e3b7acca-a3f2-537a-a08c-b490a42bcf67/exports',
    headers: { authorization: botAuthorization(LATAM) },
  });
  const { exportId } = started.json();
  let state = { status: 'running' } as { status: string; url?: string };
  for (let i = 0; i < 480 && state.status === 'running'; i++) {
    await new Promise((r) => setTimeout(r, 250));
    state = (
      await env.app.inject({
        method: 'GET',
        url: `/v1/exports/${exportId}`,
        headers: { authorization: botAuthorization(LATAM) },
      })
    ).json();
  }
  expect(state.status).toBe('done');
  const pdf = path.join(work, 'export.pdf');
  fs.writeFileSync(pdf, Buffer.from(await (await request(state.url as string)).body.arrayBuffer()));
  const text = execFileSync('pdftotext', [pdf, '-'], { encoding: 'utf8' });
  const history = JSON.stringify(
    await env.temporal.workflow.getHandle(`export/${LATAM}/${exportId}`).fetchHistory(),
  );
  for (const form of forms) {
    expect(text.includes(form)).toBe(false);
    expect(history.includes(form)).toBe(false);
  }
});

test('signed media URLs are short-lived and name exactly one object', async () => {
  const res = await env.app.inject({
    method: 'GET',
    url: '/v1/tickets/e3b7acca-a3f2-537a-a08c-b490a42bcf67',
    headers: { authorization: botAuthorization(LATAM) },
  });
  const media = res
    .json()
    .messages.flatMap((m: { media: Array<{ url: string | null; sha256: string }> }) => m.media)
    .filter((m: { url: string | null }) => m.url);
  expect(media.length).toBeGreaterThan(0);
  for (const m of media) {
    const url = new URL(m.url);
    expect(url.searchParams.get('X-Goog-Expires')).toBe('120');
    expect(url.searchParams.get('X-Goog-Signature')).toMatch(/^[0-9a-f]+$/);
    // The signature covers this one path: the tenant's content-addressed object.
    expect(url.pathname).toBe(`/${env.config.GCS_BUCKET}/${LATAM}/media/${m.sha256}`);
  }
});

test('searches are rate limited per tenant; a forged key claiming the tenant has its own bucket', async () => {
  const search = (auth: string) =>
    env.app.inject({ method: 'GET', url: '/v1/tickets?name=ana', headers: { authorization: auth } });
  const latam = botAuthorization(LATAM);
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await search(latam)).statusCode);
  expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
  const limited = await search(latam);
  expect(limited.statusCode).toBe(429);
  expect(limited.json().message).toMatch(/too many searches/);
  // Another tenant is unaffected.
  expect((await search(botAuthorization('clinicavidasana'))).statusCode).toBe(200);
  // A wrong key for the same bot is refused (401), and is counted in a bucket of its own.
  const forged = `Key ${Buffer.from(`${LATAM}:not-the-key`).toString('base64')}`;
  expect((await search(forged)).statusCode).toBe(401);
});
