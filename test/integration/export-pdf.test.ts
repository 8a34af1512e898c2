import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { type ArchiveEnv, startArchiveEnv } from '../support/archive-env';
import { botAuthorization, fixtureIndex } from '../support/blip-fixtures';
import { exportToEnd, SAME_ORIGIN, sessionApi } from '../support/session-api';

/**
 * PDF export as evidence: exported through the API and the Temporal workflow, then checked with
 * poppler (pdftotext, pdfinfo, pdfimages) against what the archive holds.
 */

let env: ArchiveEnv;
let cookie: string;
const LATAM = 'atendimentolatam';
const index = fixtureIndex();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-export-test-'));

beforeAll(async () => {
  env = await startArchiveEnv();
  const answers = await Promise.all(
    index.tickets.map((t) => env.webhook(t.id, botAuthorization(t.bot.split('@')[0] as string))),
  );
  for (const a of answers) await env.result(a.body.workflowId as string);
  const login = await env.app.inject({
    method: 'POST',
    url: '/v1/session',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ auth: botAuthorization(LATAM), user: 'auditora@loja.example' }),
  });
  cookie = String(login.headers['set-cookie']).split(';')[0] as string;
});
afterAll(async () => {
  await env?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

const api = sessionApi(
  () => env.app,
  () => cookie,
);

/** Starts an export, waits for it (bounded), downloads the PDF. */
async function exportPdf(url: string, payload?: unknown) {
  const { exportId, state } = await exportToEnd(api, url, payload);
  expect(state).toMatchObject({ status: 'done' });
  const res = await request(state.url);
  expect(res.statusCode).toBe(200);
  const bytes = Buffer.from(await res.body.arrayBuffer());
  const file = path.join(work, `${exportId}.pdf`);
  fs.writeFileSync(file, bytes);
  return { exportId, state, bytes, file };
}

const pdftotext = (file: string) =>
  execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
const pdfPages = (file: string) =>
  Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))?.[1]);
// Whitespace moves with line wrapping, and colour emoji are glyph images without text.
const squash = (s: string) => s.replace(/\s+|\p{Extended_Pictographic}|\uFE0F|\u200D/gu, '');
// Bidi and control characters are laid out, not kept in logical order, by text extraction.
const extractable = (s: string) =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this skips
  !/[\u0590-\u08ff\u200e-\u202e\u2066-\u2069\u0000-\u0008\u000b-\u001f\ufffd]/.test(s);

test('a ticket export: every message in order, the digest the verify endpoint gives, images, pages as recorded', async () => {
  const id = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67';
  const { exportId, state, bytes, file } = await exportPdf(`/v1/tickets/${id}/exports`);
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(state.sha256);
  expect(pdfPages(file)).toBe(state.pages);
  const text = squash(pdftotext(file));

  const { rows } = await env.db.query<{ text: string }>(
    'select text from messages where tenant_id = $1 and ticket_id = $2 order by position',
    [LATAM, id],
  );
  let at = 0;
  for (const { text: message } of rows.filter((r) => r.text.trim() && extractable(r.text))) {
    const found = text.indexOf(squash(message), at);
    expect({ message, found: found >= 0 }).toEqual({ message, found: true });
    at = found;
  }

  const verify = await api('GET', `/v1/tickets/${id}/verify`);
  expect(verify.body).toMatchObject({ ok: true, problems: [] });
  expect(text).toContain(verify.body.digest);
  expect(text).toContain(squash(exportId));
  expect(text).toContain('page1of');

  const images = execFileSync('pdfimages', ['-list', file], { encoding: 'utf8' }).trim().split('\n').slice(2);
  expect(images.length).toBeGreaterThanOrEqual(1);

  const { rows: recorded } = await env.db.query(
    'select status, pages, sha256, requested_by from exports where export_id = $1',
    [exportId],
  );
  expect(recorded[0]).toEqual({
    status: 'done',
    pages: state.pages,
    sha256: state.sha256,
    requested_by: 'auditora@loja.example (claimed)',
  });
  // The name typed at login is nobody's verified identity: the PDF says so too.
  expect(text).toContain(squash('auditora@loja.example (claimed)'));
  const audit = await env.db.query('select action from audit_log where details->>$1 = $2 order by id', [
    'exportId',
    exportId,
  ]);
  expect(audit.rows.map((r) => r.action)).toEqual(
    expect.arrayContaining(['export.request', 'export.done', 'export.download']),
  );
});

test("the hostile ticket's markup is printed as text, never interpreted", async () => {
  const { file } = await exportPdf('/v1/tickets/5a11ee25-ca1b-5ce2-a798-5f5affcff0a4/exports');
  const text = pdftotext(file);
  expect(text).toContain('<script');
  expect(text).toContain('<img src=x onerror=');
});

test("a contact's history exports its tickets oldest first, limited to the date range", async () => {
  const identity = encodeURIComponent('b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d.atendimentolatam@0mn.io');
  // Headings are "Ticket #<sequential> · <id>"; the cover counts the tickets.
  const heading1039 = 'Ticket#1039·1d91807c-ee64-51bd-9310-963620a44bca';
  const heading1044 = 'Ticket#1044·805c6e79-257e-5075-933c-0cdd20578e04';
  const all = squash(pdftotext((await exportPdf(`/v1/contacts/${identity}/exports`, {})).file));
  expect(all).toContain('Tickets2');
  expect(all.indexOf(heading1039)).toBeGreaterThanOrEqual(0);
  expect(all.indexOf(heading1044)).toBeGreaterThan(all.indexOf(heading1039));
  const one = squash(
    pdftotext((await exportPdf(`/v1/contacts/${identity}/exports`, { from: '2025-03-12T14:00:00Z' })).file),
  );
  expect(one).toContain('Tickets1');
  expect(one).toContain(heading1044);
  expect(one).not.toContain(heading1039);
});

test('export requests name their problems', async () => {
  expect((await api('POST', '/v1/tickets/00000000-0000-4000-8000-000000000000/exports')).statusCode).toBe(
    404,
  );
  const badRange = await api('POST', `/v1/contacts/${encodeURIComponent('x@wa.gw.msging.net')}/exports`, {
    from: 'soon',
  });
  expect(badRange.statusCode).toBe(400);
  expect(badRange.body.message).toMatch(/from must be a date/);
  expect((await api('GET', '/v1/exports/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
  expect((await api('GET', '/v1/exports/not-a-uuid')).statusCode).toBe(400);
});

const messages = (problems: Array<{ message: string }>) => problems.map((p) => p.message).join('\n');

test('tampering with a stored message or media object makes verify answer ok: false', async () => {
  const id = '1d91807c-ee64-51bd-9310-963620a44bca';
  const before = await api('GET', `/v1/tickets/${id}/verify`);
  expect(before.body).toMatchObject({ ok: true });
  expect(before.body.digest).toBe(before.body.sealedDigest);

  const { rows } = await env.db.query<{ storage_key: string }>(
    "select storage_key from media where tenant_id = $1 and ticket_id = $2 and status = 'stored' limit 1",
    [LATAM, id],
  );
  const key = rows[0]?.storage_key as string;
  await env.store.put(key, Readable.from([Buffer.from('not the original bytes')]), {
    contentType: 'image/png',
  });
  const mediaTampered = await api('GET', `/v1/tickets/${id}/verify`);
  expect(mediaTampered.body.ok).toBe(false);
  expect(messages(mediaTampered.body.problems)).toMatch(/bytes changed/);

  await env.db.query(
    `update messages set raw = convert_to(replace(convert_from(raw, 'UTF8'), 'Rafael', 'Rafaela'), 'UTF8')
      where tenant_id = $1 and ticket_id = $2 and position = (select min(position) from messages
        where tenant_id = $1 and ticket_id = $2 and convert_from(raw, 'UTF8') like '%Rafael%')`,
    [LATAM, id],
  );
  const messageTampered = await api('GET', `/v1/tickets/${id}/verify`);
  expect(messageTampered.body.ok).toBe(false);
  expect(messages(messageTampered.body.problems)).toMatch(/content changed/);
});

test("another tenant cannot export, poll or verify this tenant's tickets", async () => {
  const login = await env.app.inject({
    method: 'POST',
    url: '/v1/session',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ auth: botAuthorization('clinicavidasana') }),
  });
  const other = String(login.headers['set-cookie']).split(';')[0] as string;
  const id = 'b598352e-77f5-546c-a017-5ec108ed50ba';
  const mine = await api('POST', `/v1/tickets/${id}/exports`);
  const asOther = (method: 'GET' | 'POST', url: string) =>
    env.app.inject({ method, url, headers: { cookie: other, ...SAME_ORIGIN } });
  expect((await asOther('POST', `/v1/tickets/${id}/exports`)).statusCode).toBe(404);
  expect((await asOther('GET', `/v1/tickets/${id}/verify`)).statusCode).toBe(404);
  expect((await asOther('GET', `/v1/exports/${mine.body.exportId}`)).statusCode).toBe(404);
});
