import { randomUUID } from 'node:crypto';
import { indexTicket } from '../../lib/search/indexer';
import { dropCollections, ensureCollections } from '../../lib/search/migrate';
import { mediaTextWorkflowId } from '../../lib/temporal/contract';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { cliFor } from '../support/cli-harness';
import { addClosedTicket, mediaLinkMessage, textMessages } from '../support/generated-tickets';
import { makeSamples, type Sample } from '../support/ocr-samples';

/**
 * The text inside media (issue 18), end to end on the real stack: tickets whose media are images
 * and PDFs made at test time are archived through the webhook; the archive completes, its
 * extractMediaText child reads each file on its own queue, and a word found only in an image or a
 * document finds the ticket, naming the file (and page). The decompression bomb and the corrupt
 * file are recorded unreadable and their ticket is archived all the same.
 */

const BOT = 'ocrbot';
let env: ArchiveEnv;
let auth: string;
let samples: Record<string, Sample>;
const tickets: Record<'a' | 'b' | 'c', string> = { a: '', b: '', c: '' };
const start = Date.parse('2025-08-04T12:00:00Z');

function mediaMessages(id: string, at: number, items: Sample[]) {
  return items.map((s, i) => {
    const media = env.sim.addMedia({ contentType: s.contentType, bytes: s.bytes });
    return mediaLinkMessage(`${id}-m${i}`, at + (i + 1) * 1000, {
      type: s.contentType,
      uri: media.uri,
      size: s.bytes.length,
      title: s.name,
    });
  });
}

async function api(url: string) {
  const res = await env.app.inject({ method: 'GET', url, headers: { authorization: auth } });
  expect(res.statusCode).toBe(200);
  return res.json();
}

type Hit = {
  ticketId: string;
  foundIn: { kind: string; name: string | null; page: number | null } | null;
  highlight: Array<{ text: string; match: boolean }> | null;
};
const search = async (qs: string): Promise<Hit[]> => (await api(`/v1/tickets?${qs}`)).hits;

const words = (s: string) =>
  s
    .toLowerCase()
    .normalize('NFC')
    .split(/[^\p{L}\p{N}$]+/u)
    .filter(Boolean);

beforeAll(async () => {
  env = await startArchiveEnv({ mediaText: true });
  samples = await makeSamples(env.config.CHROMIUM_PATH);
  env.sim.store.bots.push({
    identifier: BOT,
    identity: `${BOT}@msging.net`,
    secret: `secret-${randomUUID()}`,
  });
  auth = env.sim.authorizationOf(BOT);
  const s = samples;
  const add = (name: string, items: Sample[], i: number) =>
    addClosedTicket(env.sim, {
      bot: BOT,
      start: start + i * 86_400_000,
      contactName: name,
      messages: (id) => [
        ...textMessages(`${id}-t`, 1, start, () => 'segue o anexo'),
        ...mediaMessages(id, start, items),
      ],
    });
  tickets.a = add('Ana Receipt', [s.receipt as Sample, s.pdfScanned as Sample], 0);
  tickets.b = add(
    'Bruno Docs',
    [s.prescription as Sample, s.pdfLayer as Sample, s.rotated as Sample, s.noisy as Sample],
    1,
  );
  tickets.c = add('Carla Hostile', [s.bomb as Sample, s.corrupt as Sample], 2);
  for (const id of Object.values(tickets)) {
    const res = await env.webhook(id, auth);
    expect(res.statusCode).toBe(202);
    // The archive completes whatever the files hold: it never waits for their text.
    const result = await env.result(res.body.workflowId as string);
    expect(result.mediaUnavailable).toBe(0);
  }
  for (const id of Object.values(tickets))
    await env.temporal.workflow.getHandle(mediaTextWorkflowId(BOT, id)).result();
}, 600_000);

afterAll(async () => {
  await env?.close();
});

test('a word found only in an image finds its ticket, naming the image', async () => {
  const hits = await search('q=farmácia');
  expect(hits.map((h) => h.ticketId)).toEqual([tickets.a]);
  expect(hits[0]?.foundIn).toEqual({ kind: 'image', name: 'recibo.png', page: null });
  expect(hits[0]?.highlight?.filter((s) => s.match).map((s) => s.text.toLowerCase())).toContain('farmácia');
  const es = await search('q=ibuprofeno');
  expect(es.map((h) => h.ticketId)).toEqual([tickets.b]);
  expect(es[0]?.foundIn).toEqual({ kind: 'image', name: 'receta.png', page: null });
});

test('a word of a PDF finds its ticket with the document and page, text layer or scanned', async () => {
  const layer = await search('q=Bernardes');
  expect(layer.map((h) => h.ticketId)).toEqual([tickets.b]);
  expect(layer[0]?.foundIn).toEqual({ kind: 'document', name: 'contrato.pdf', page: 1 });
  const scanned = await search('q=Valparaíso');
  expect(scanned.map((h) => h.ticketId)).toEqual([tickets.a]);
  expect(scanned[0]?.foundIn).toEqual({ kind: 'document', name: 'certificado-escaneado.pdf', page: 1 });
  // Typed text still finds its messages, and says nothing of media.
  const typed = await search('q=anexo');
  expect(typed.map((h) => h.ticketId).sort()).toEqual(Object.values(tickets).sort());
  expect(typed.every((h) => h.foundIn === null)).toBe(true);
});

test('filters: has image, document, audio', async () => {
  const ids = async (qs: string) => (await search(qs)).map((h) => h.ticketId).sort();
  expect(await ids('has=document')).toEqual([tickets.a, tickets.b].sort());
  expect(await ids('has=image,document')).toEqual([tickets.a, tickets.b].sort());
  expect(await ids('has=image')).toEqual(Object.values(tickets).sort());
  expect(await ids('has=audio')).toEqual([]);
  const bad = await env.app.inject({
    method: 'GET',
    url: '/v1/tickets?has=pdf',
    headers: { authorization: auth },
  });
  expect(bad.statusCode).toBe(400);
});

test('the bomb and the corrupt file are recorded unreadable with why; the ticket view labels what was read', async () => {
  const { rows } = await env.db.query<{ status: string; reason: string }>(
    `select x.status, x.reason from media_text x join media m on m.tenant_id = x.tenant_id and m.sha256 = x.sha256
      where m.ticket_id = $1 order by m.message_id`,
    [tickets.c],
  );
  expect(rows.map((r) => r.status)).toEqual(['unreadable', 'unreadable']);
  expect(rows[0]?.reason).toMatch(/30000×30000 pixels is over the cap/);
  expect(rows[1]?.reason).toMatch(/unreadable|not a readable|tesseract/i);

  const view = await api(`/v1/tickets/${tickets.a}`);
  const media = view.messages.flatMap((m: { media: unknown[] }) => m.media) as Array<{
    title: string;
    extractedText: {
      status: string;
      parts: Array<{ text: string; source: string; page: number | null }>;
    } | null;
  }>;
  const receipt = media.find((m) => m.title === 'recibo.png');
  expect(receipt?.extractedText?.status).toBe('ok');
  expect(receipt?.extractedText?.parts[0]?.source).toBe('ocr');
  expect(receipt?.extractedText?.parts[0]?.text).toMatch(/R\$ ?48,00/);
});

test('OCR accuracy on the generated media (words found ÷ words rendered)', async () => {
  const { rows } = await env.db.query<{ sha256: string; parts: Array<{ text: string }> }>(
    `select sha256, parts from media_text where tenant_id = $1 and status = 'ok'`,
    [BOT],
  );
  const { createHash } = await import('node:crypto');
  let rendered = 0;
  let found = 0;
  const report: string[] = [];
  for (const s of Object.values(samples)) {
    if (s.words.length === 0) continue;
    const sha = createHash('sha256').update(s.bytes).digest('hex');
    const text = new Set(
      words(
        rows
          .find((r) => r.sha256 === sha)
          ?.parts.map((p) => p.text)
          .join(' ') ?? '',
      ),
    );
    const expected = words(s.words.join(' '));
    const hits = expected.filter((w) => text.has(w)).length;
    rendered += expected.length;
    found += hits;
    report.push(`${s.name}: ${hits}/${expected.length}`);
  }
  console.log(
    `OCR accuracy ${found}/${rendered} = ${((100 * found) / rendered).toFixed(1)}%\n${report.join('\n')}`,
  );
  expect(found / rendered).toBeGreaterThanOrEqual(0.9);
});

test('the index is rebuilt from Postgres with the media text', async () => {
  await dropCollections(env.search, env.collections);
  await ensureCollections(env.search, env.collections);
  expect(await search('q=farmácia')).toEqual([]);
  for (const id of Object.values(tickets)) await indexTicket(env.db, env.search, env.collections, BOT, id);
  const hits = await search('q=farmácia');
  expect(hits.map((h) => h.ticketId)).toEqual([tickets.a]);
  expect(hits[0]?.foundIn?.name).toBe('recibo.png');
});

test('extract-text reads what the installed engine has not read (media from before), with progress', async () => {
  const cli = cliFor(env);
  const { createHash } = await import('node:crypto');
  const quick = [samples.pdfLayer, samples.bomb, samples.corrupt].map((s) =>
    createHash('sha256')
      .update((s as Sample).bytes)
      .digest('hex'),
  );
  // As if these had been archived before the feature existed.
  await env.db.query('delete from media_text where tenant_id = $1 and sha256 = any($2::text[])', [
    BOT,
    quick,
  ]);
  const first = await cli('extract-text', '--tenant', BOT, '--json');
  expect(first.code).toBe(0);
  expect(first.json()).toMatchObject({ read: 3, ok: 1, notOk: 2, tickets: 2 });
  expect(first.stderr).toContain('extract-text: ocrbot: 3 files read');
  const { rows } = await env.db.query<{ n: number }>(
    'select count(*)::int as n from media_text where tenant_id = $1 and sha256 = any($2::text[])',
    [BOT, quick],
  );
  expect(rows[0]?.n).toBe(3);
  expect((await cli('extract-text', '--tenant', BOT, '--json')).json()).toMatchObject({ read: 0 });
  expect(
    (await cli('extract-text', '--tenant', BOT, '--force', '--since', '2999-01-01', '--json')).json(),
  ).toMatchObject({
    read: 0,
  });
  expect((await cli('extract-text', '--tenant', 'nobody-here', '--json')).code).not.toBe(0);
  // The tenant's own languages: validated, stored, back to the default.
  expect((await cli('tenants', 'set-ocr-languages', BOT, 'por; rm -rf /')).code).toBe(2);
  expect((await cli('tenants', 'set-ocr-languages', BOT, 'spa+por', '--json')).json()).toMatchObject({
    ocrLanguages: 'spa+por',
  });
  expect((await cli('tenants', 'set-ocr-languages', BOT, 'default', '--json')).json()).toMatchObject({
    ocrLanguages: null,
  });
  expect((await search('q=Bernardes')).map((h) => h.ticketId)).toEqual([tickets.b]);
});

test('metrics count files read and failures by reason', async () => {
  const res = await env.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.body).toMatch(/ticketvault_media_text_files_total\{status="ok"[^}]*\} 6/);
  expect(res.body).toMatch(/ticketvault_media_text_failures_total\{reason="pixels"[^}]*\} 1/);
  expect(res.body).toMatch(/ticketvault_media_text_seconds_count\{[^}]*kind="image"/);
});
