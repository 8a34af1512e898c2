import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { setTenantTimeZone } from '../../lib/db/tenants';
import { PDF_LABELS, type PdfLang } from '../../lib/pdf/i18n';
import { messageBodyText } from '../../lib/pdf/message-text';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization, fixtureIndex } from '../../tools/harness/blip-fixtures';
import { exportToEnd, SAME_ORIGIN, sessionApi } from '../support/session-api';

/**
 * PDF export as evidence: exported through the API and the Temporal workflow, then checked with
 * poppler (pdftotext, pdfinfo, pdfimages) against what the archive holds, and as a document for
 * people (issue 15) in each language. TEST_KEEP_PDFS=<dir> keeps the PDFs there to look at.
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
async function exportPdf(url: string, payload?: unknown, call = api) {
  const { exportId, state } = await exportToEnd(call, url, payload);
  expect(state).toMatchObject({ status: 'done' });
  const res = await request(state.url);
  expect(res.statusCode).toBe(200);
  const bytes = Buffer.from(await res.body.arrayBuffer());
  const file = path.join(work, `${exportId}.pdf`);
  fs.writeFileSync(file, bytes);
  const keep = process.env.TEST_KEEP_PDFS;
  if (keep) {
    fs.mkdirSync(keep, { recursive: true });
    fs.copyFileSync(
      file,
      path.join(keep, `${exportId.slice(0, 8)}-${state.lang ?? ''}-${state.fileName ?? ''}`),
    );
  }
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

  const { rows } = await env.db.query<{ text: string; type: string; content: unknown }>(
    'select text, type, content from messages where tenant_id = $1 and ticket_id = $2 order by position',
    [LATAM, id],
  );
  // What the body prints for each message (in pt-BR, the default): typed text verbatim.
  const printed = rows.map((r) => messageBodyText(r, PDF_LABELS['pt-BR']) ?? '');
  let at = 0;
  for (const message of printed.filter((p) => p.trim() && extractable(p))) {
    const found = text.indexOf(squash(message), at);
    expect({ message, found: found >= 0 }).toEqual({ message, found: true });
    at = found;
  }

  const verify = await api('GET', `/v1/tickets/${id}/verify`);
  expect(verify.body).toMatchObject({ ok: true, problems: [] });
  expect(text).toContain(verify.body.digest);
  expect(text).toContain(squash(exportId));
  expect(text).toContain('página1de'); // pt-BR when nothing asks for another language

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

const RAFAEL = encodeURIComponent('b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d.atendimentolatam@0mn.io');
const T1039 = '1d91807c-ee64-51bd-9310-963620a44bca';
const T1044 = '805c6e79-257e-5075-933c-0cdd20578e04';

/** The body (cover and conversation) and the technical annex of a document, as pdftotext gives them. */
function bodyAndAnnex(text: string, lang: PdfLang) {
  const at = text.lastIndexOf(PDF_LABELS[lang].annex);
  expect(at).toBeGreaterThan(0);
  return { body: text.slice(0, at), annex: text.slice(at) };
}

/** `<n> <message id>` rows of the annex's message tables (message ids have no `/`, and a `-` or `:`). */
const annexMessageIds = (annex: string) =>
  annex
    .split('\n')
    .map((line) => /^(\d+) ([^\s/]*[-:][^\s/]*)$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ no: Number(m[1]), id: m[2] as string }));

test("a contact's history exports its tickets oldest first, limited to the date range", async () => {
  // A ticket's heading is followed by its facts (#1039 is also named, as context, inside #1044).
  const heading1039 = `Ticket#1039${squash(PDF_LABELS['pt-BR'].status)}`;
  const heading1044 = `Ticket#1044${squash(PDF_LABELS['pt-BR'].status)}`;
  const all = squash(pdftotext((await exportPdf(`/v1/contacts/${RAFAEL}/exports`, {})).file));
  expect(all).toContain('Tickets#1039,#1044');
  expect(all.indexOf(heading1039)).toBeGreaterThanOrEqual(0);
  expect(all.indexOf(heading1044, all.indexOf(heading1039) + 1)).toBeGreaterThan(all.indexOf(heading1039));
  const one = squash(
    pdftotext((await exportPdf(`/v1/contacts/${RAFAEL}/exports`, { from: '2025-03-12T14:00:00Z' })).file),
  );
  expect(one).toContain('Tickets#1044');
  expect(one).toContain(heading1044);
  expect(one).not.toContain(heading1039);
});

test('a contact export shows each message once, under the ticket whose window holds it', async () => {
  const { file, state } = await exportPdf(`/v1/contacts/${RAFAEL}/exports`, { lang: 'pt-BR' });
  expect(state.fileName).toBe('contact-rafael-nogueira-2025-03-12.pdf');
  const text = pdftotext(file);
  const { body, annex } = bodyAndAnnex(text, 'pt-BR');

  // Blip returned #1039's messages again with #1044 (outside its window): they are printed once.
  const { rows } = await env.db.query<{ message_id: string; text: string; type: string }>(
    `select message_id, text, type from messages where tenant_id = $1 and ticket_id = any($2::text[])`,
    [LATAM, [T1039, T1044]],
  );
  const distinct = new Map(rows.map((r) => [r.message_id, r]));
  const shown = [...distinct.values()].filter((r) => r.type !== 'application/vnd.lime.chatstate+json');
  const listed = annexMessageIds(annex);
  expect(listed.map((r) => r.no)).toEqual(listed.map((_, i) => i + 1));
  expect(listed.map((r) => r.id).sort()).toEqual(shown.map((r) => r.message_id).sort());
  // The cover counts what the body numbers.
  expect(squash(body)).toContain(squash(`${PDF_LABELS['pt-BR'].messages} ${listed.length}`));

  // A sentence said once in #1039 appears once in the body, not again inside #1044's section.
  const { rows: own } = await env.db.query<{ text: string }>(
    `select text from messages where tenant_id = $1 and ticket_id = $2 and in_ticket_window
        and direction = 'customer' and type = 'text/plain' and length(text) > 30 order by position`,
    [LATAM, T1039],
  );
  const squashedBody = squash(body);
  const unique = own
    .map((r) => squash(r.text))
    .filter((s) => extractable(s) && own.filter((o) => squash(o.text) === s).length === 1);
  expect(unique.length).toBeGreaterThan(0);
  for (const s of unique) expect({ s, times: squashedBody.split(s).length - 1 }).toEqual({ s, times: 1 });
});

const MIME =
  /\b(?:image|audio|video|application|text)\/(?:jpeg|png|gif|webp|heic|ogg|mp4|pdf|plain|json|octet-stream|vnd\.[a-z0-9.+-]+)/i;

describe.each([
  ['pt-BR', { headers: { 'accept-language': 'pt-BR,pt;q=0.9,en;q=0.5' } }],
  ['es', { body: { lang: 'es-MX' } }],
  ['en', { body: { lang: 'en' }, headers: { 'accept-language': 'es-MX' } }],
] as Array<[PdfLang, { headers?: Record<string, string>; body?: unknown }]>)(
  'a ticket document in %s',
  (lang, how) => {
    const t = PDF_LABELS[lang];
    let text: string;
    let state: Record<string, unknown>;
    beforeAll(async () => {
      // The language from the body, or from the browser's Accept-Language when the body names none.
      const call: typeof api = async (method, url, payload) => {
        const res = await env.app.inject({
          method,
          url,
          headers: {
            cookie,
            ...SAME_ORIGIN,
            ...how.headers,
            ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
        });
        return { statusCode: res.statusCode, body: res.json() };
      };
      const id = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67'; // #1043, Mexico, agent mariana.lopez
      const done = await exportPdf(`/v1/tickets/${id}/exports`, how.body, call);
      text = pdftotext(done.file);
      state = done.state;
    });

    test('labels, roles and media kinds in the language; the decoded agent; the zone offset', () => {
      const flat = squash(text);
      for (const label of [
        t.documentTitle,
        t.company,
        t.agents,
        t.closedBy,
        t.exportedAt,
        t.requestedBy,
        t.seal,
        t.sealVerified,
        t.annex,
        t.roleCustomer,
        t.kindPdf,
        t.kindAudio,
        t.kindVideo,
        `${t.page}1${t.of}`,
      ])
        expect({ lang, label, found: flat.includes(squash(label)) }).toEqual({ lang, label, found: true });
      expect(flat).toContain(squash(`mariana.lopez@lojaexemplo.com.mx (${t.roleAgent})`));
      expect(text).not.toContain('%40');
      // Closed 2025-03-11T15:33Z, shown in the tenant's zone (São Paulo by default) with its offset.
      expect(text).toContain('UTC\u221203:00');
      expect(flat).toContain(squash(lang === 'en' ? '11 Mar 2025 12:33' : '11/03/2025 12:33'));
    });

    test('no MIME type and no internal id before the annex; the ids and hashes in it', async () => {
      const { body, annex } = bodyAndAnnex(text, lang);
      expect({ lang, mime: MIME.exec(body)?.[0] ?? null }).toEqual({ lang, mime: null });
      expect(body).not.toContain('e3b7acca-a3f2-537a-a08c-b490a42bcf67');
      expect(body).not.toContain('@wa.gw.msging.net');
      expect(body).not.toContain('fwd:fwd:');
      expect(annex).toContain('e3b7acca-a3f2-537a-a08c-b490a42bcf67');
      expect(annex).toMatch(MIME);
      const { rows } = await env.db.query<{ sha256: string }>(
        "select sha256 from media where tenant_id = $1 and ticket_id = $2 and status = 'stored'",
        [LATAM, 'e3b7acca-a3f2-537a-a08c-b490a42bcf67'],
      );
      expect(rows.length).toBeGreaterThan(0);
      const flatAnnex = squash(annex);
      for (const r of rows) expect(flatAnnex).toContain(r.sha256);
      const flatBody = squash(body);
      for (const r of rows) expect(flatBody).not.toContain(r.sha256);
    });

    test('the download is named for people', () => {
      expect(state.fileName).toMatch(/^ticket-1043-[a-z0-9-]+-2025-03-11\.pdf$/);
      const disposition = new URL(state.url as string).searchParams.get('response-content-disposition');
      expect(disposition).toContain(`filename*=UTF-8''${state.fileName}`);
    });
  },
);

test("dates follow the tenant's time zone setting", async () => {
  await expect(setTenantTimeZone(env.db, 'clinicavidasana', 'Mars/Olympus_Mons')).rejects.toThrow(
    /not an IANA time zone/,
  );
  expect(await setTenantTimeZone(env.db, 'clinicavidasana', 'america/bogota')).toBe('America/Bogota');
  const login = await env.app.inject({
    method: 'POST',
    url: '/v1/session',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ auth: botAuthorization('clinicavidasana') }),
  });
  const other = String(login.headers['set-cookie']).split(';')[0] as string;
  const asClinic = sessionApi(
    () => env.app,
    () => other,
  );
  const { file } = await exportPdf(
    '/v1/tickets/ec76db3c-68c3-513c-9d01-a54ee7ba0146/exports',
    { lang: 'es' },
    asClinic,
  );
  const text = pdftotext(file);
  expect(text).toContain('America/Bogota (UTC\u221205:00)');
  expect(text).not.toContain('UTC\u221203:00');
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
  const badLang = await api('POST', '/v1/tickets/e3b7acca-a3f2-537a-a08c-b490a42bcf67/exports', {
    lang: 'fr',
  });
  expect(badLang.statusCode).toBe(400);
  expect(badLang.body.message).toMatch(/lang must be one of pt-BR, es, en/);
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
