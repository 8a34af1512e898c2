import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import type { CliIo } from '../../cli/context';
import { runCli } from '../../cli/main';
import { keyIdOf, publishedKey } from '../../lib/integrity/keys';
import { evidenceFileName, type PdfSealEvidence } from '../../lib/integrity/pdf-evidence';
import { envelopeBytes, leafHashes, sealRoot } from '../../lib/integrity/seal-v2';
import { readAttachments } from '../../lib/pdf/attachments';
import { PDF_LABELS } from '../../lib/pdf/i18n';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import { pdfWithEvidence } from '../support/pdf-evidence-edit';
import { exportToEnd, sessionApi } from '../support/session-api';

/**
 * A PDF that proves itself (issue 14): an export carries its seals as attachments, and
 * `verify-pdf` checks it with no database, no login and no deps (runCli gets none), catching an
 * edited record, a record re-signed with another key, and a flipped byte in the attachment.
 */

let env: ArchiveEnv;
let cookie: string;
const LATAM = 'atendimentolatam';
const TICKET = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67';
// Two tickets of one contact (a contact export carries one seal per ticket).
const RAFAEL = encodeURIComponent('b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d.atendimentolatam@0mn.io');
const T1039 = '1d91807c-ee64-51bd-9310-963620a44bca';
const T1044 = '805c6e79-257e-5075-933c-0cdd20578e04';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-verify-pdf-'));
let pdf: { file: string; bytes: Buffer; sha256: string };
let keysFile: string;
let keysJson: string;

const api = sessionApi(
  () => env.app,
  () => cookie,
);

/** The offline CLI: no deps injected, so a command touching a service would fail. */
async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), tty: false };
  const code = await runCli(argv, { io, env: {} });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

beforeAll(async () => {
  env = await startArchiveEnv();
  for (const id of [TICKET, T1039, T1044]) {
    const answer = await env.webhook(id, botAuthorization(LATAM));
    await env.result(answer.body.workflowId as string);
  }
  const login = await env.app.inject({
    method: 'POST',
    url: '/v1/session',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ auth: botAuthorization(LATAM), user: 'advogada@loja.example' }),
  });
  cookie = String(login.headers['set-cookie']).split(';')[0] as string;
  const { exportId, state } = await exportToEnd(api, `/v1/tickets/${TICKET}/exports`);
  expect(state).toMatchObject({ status: 'done' });
  const res = await request(state.url);
  const bytes = Buffer.from(await res.body.arrayBuffer());
  const file = path.join(work, `${exportId}.pdf`);
  fs.writeFileSync(file, bytes);
  pdf = { file, bytes, sha256: state.sha256 };
  keysJson = (await env.app.inject({ method: 'GET', url: '/.well-known/ticket-vault-keys' })).body;
  keysFile = path.join(work, 'keys.json');
  fs.writeFileSync(keysFile, keysJson);
});
afterAll(async () => {
  await env?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

async function evidenceOf(bytes: Buffer): Promise<PdfSealEvidence> {
  const found = (await readAttachments(bytes)).find((a) => a.name === evidenceFileName(TICKET));
  if (!found?.bytes) throw new Error('no seal attachment');
  return JSON.parse(found.bytes.toString('utf8')) as PdfSealEvidence;
}

/** The same PDF (pages untouched) with its seal attachment replaced by `evidence`. */
async function withEvidence(bytes: Buffer, evidence: PdfSealEvidence, name: string): Promise<string> {
  const file = path.join(work, name);
  fs.writeFileSync(file, await pdfWithEvidence(bytes, TICKET, evidence));
  return file;
}

/** A message the PDF body prints verbatim (typed text). */
function textMessageIndex(e: PdfSealEvidence): number {
  const i = e.document.messages.findIndex((m) => m.type === 'text/plain' && m.text.trim().length > 3);
  expect(i).toBeGreaterThanOrEqual(0);
  return i;
}

test('an exported PDF verifies offline, with the embedded key (said so) and with the published key from a file and a URL', async () => {
  // The recorded hash is the final file's, attachments included.
  expect(createHash('sha256').update(pdf.bytes).digest('hex')).toBe(pdf.sha256);
  const e = await evidenceOf(pdf.bytes);
  expect(e.document.header.ticketId).toBe(TICKET);
  expect(sealRoot(e.document, e.document.salts)).toBe(e.envelope.root);

  const embedded = await cli('verify-pdf', pdf.file);
  expect({ code: embedded.code, out: embedded.stdout }).toEqual({
    code: 0,
    out: expect.stringContaining('VALID'),
  });
  expect(embedded.stdout).toContain('embedded in the PDF only');
  expect(embedded.stdout).toContain('NOT who signed it');
  expect(embedded.stdout).toMatch(/sealed text of [1-9]\d* messages/);
  // The test stack signs with a generated development key, and says so.
  expect(embedded.stdout).toContain('DEVELOPMENT key');

  const trusted = await cli('verify-pdf', pdf.file, '--public-key', keysFile);
  expect(trusted.code).toBe(0);
  expect(trusted.stdout).toContain(`checked with the trusted key from ${keysFile}`);
  expect(trusted.stdout).not.toContain('embedded in the PDF only');

  const server = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(keysJson);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/ticket-vault-keys`;
    const byUrl = await cli('verify-pdf', pdf.file, '--public-key', url, '--json');
    expect(byUrl.code).toBe(0);
    expect(JSON.parse(byUrl.stdout)).toMatchObject({ valid: true, keySource: 'trusted', problems: [] });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('the PDF file is signed last (PKCS#7): pdfsig and verify-pdf report it valid; a changed page byte is caught by both', async () => {
  const sig = execFileSync('pdfsig', [pdf.file], { encoding: 'utf8' });
  expect(sig).toContain('Signature Validation: Signature is Valid.');
  expect(sig).toContain('Total document signed');
  const ok = await cli('verify-pdf', pdf.file, '--json');
  expect(JSON.parse(ok.stdout).pdfSignature).toMatchObject({ status: 'valid', selfSigned: true });

  // One byte of the first page's content (not an attachment): only the PDF signature can see it.
  const flipped = Buffer.from(pdf.bytes);
  const at = pdf.bytes.indexOf('/Type /Page') + 3;
  expect(at).toBeGreaterThan(3);
  flipped[at] = (flipped[at] as number) ^ 0x01;
  const file = path.join(work, 'page-byte.pdf');
  fs.writeFileSync(file, flipped);
  let pdfsig = '';
  try {
    pdfsig = execFileSync('pdfsig', [file], { encoding: 'utf8' });
  } catch (err) {
    pdfsig = String((err as { stdout?: string }).stdout ?? '');
  }
  expect(pdfsig).not.toContain('Signature is Valid');
  const res = await cli('verify-pdf', file, '--public-key', keysFile);
  expect(res.code).toBe(1);
  expect(res.stdout).toContain('INVALID');
  expect(res.stdout).toContain('✗ PDF signature: the document was modified after it was signed');
});

test("the last page tells how to verify, in the export's language, with the keys' address", () => {
  const text = execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', pdf.file, '-'], { encoding: 'utf8' });
  const squash = (s: string) => s.replace(/\s+/g, '');
  const lastPage = squash(text.slice(text.lastIndexOf(PDF_LABELS['pt-BR'].checkTitle.slice(0, 20))));
  expect(lastPage).toContain(squash(PDF_LABELS['pt-BR'].checkTitle));
  expect(lastPage).toContain('npxticket-vaultverify-pdf');
  expect(lastPage).toContain('/.well-known/ticket-vault-keys');
});

test('a contact export in Spanish carries and verifies one seal per ticket; its last page is in Spanish', async () => {
  const { exportId, state } = await exportToEnd(api, `/v1/contacts/${RAFAEL}/exports`, { lang: 'es' });
  expect(state).toMatchObject({ status: 'done', lang: 'es' });
  const bytes = Buffer.from(await (await request(state.url)).body.arrayBuffer());
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(state.sha256);
  const file = path.join(work, `${exportId}.pdf`);
  fs.writeFileSync(file, bytes);
  const names = (await readAttachments(bytes)).map((a) => a.name).sort();
  expect(names).toEqual([evidenceFileName(T1039), evidenceFileName(T1044)].sort());
  const res = await cli('verify-pdf', file, '--public-key', keysFile, '--json');
  expect(res.code).toBe(0);
  const report = JSON.parse(res.stdout);
  expect(report.tickets.map((x: { ticketId: string }) => x.ticketId).sort()).toEqual([T1039, T1044].sort());
  expect(report.tickets.every((x: { textChecked: number }) => x.textChecked > 0)).toBe(true);
  const text = execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
  expect(text.replace(/\s+/g, '')).toContain(PDF_LABELS.es.checkTitle.replace(/\s+/g, ''));
});

test('records edited and re-signed with another Ed25519 key fail against the real public key', async () => {
  const e = await evidenceOf(pdf.bytes);
  const i = textMessageIndex(e);
  (e.document.messages[i] as { text: string }).text = 'Eu concordo em pagar R$ 10.000,00.';
  const attacker = generateKeyPairSync('ed25519');
  const keyId = keyIdOf(attacker.publicKey);
  e.leaves = leafHashes(e.document, e.document.salts).map((h) => h.toString('hex'));
  e.envelope = { ...e.envelope, root: sealRoot(e.document, e.document.salts), keyId };
  e.signature = sign(null, envelopeBytes(e.envelope), attacker.privateKey).toString('base64');
  e.publicKeys = [publishedKey({ keyId, status: 'current', publicKey: attacker.publicKey })];
  const file = await withEvidence(pdf.bytes, e, 'resigned.pdf');

  const trusted = await cli('verify-pdf', file, '--public-key', keysFile);
  expect(trusted.code).toBe(1);
  expect(trusted.stdout).toContain('INVALID');
  expect(trusted.stdout).toMatch(/✗ key: the seal names signing key .* not among the trusted keys/);

  // With only the embedded (attacker's) key the signature holds, but the PDF does not show that text.
  const embedded = await cli('verify-pdf', file);
  expect(embedded.code).toBe(1);
  expect(embedded.stdout).toContain(
    `(${e.document.messages[i]?.messageId}, position ${e.document.messages[i]?.position}).text`,
  );
});

test('an embedded record edited but not re-signed fails naming the record', async () => {
  const e = await evidenceOf(pdf.bytes);
  const i = textMessageIndex(e);
  (e.document.messages[i] as { sender: string | null }).sender = 'someone-else@0mn.io';
  const file = await withEvidence(pdf.bytes, e, 'edited.pdf');
  const res = await cli('verify-pdf', file, '--public-key', keysFile);
  expect(res.code).toBe(1);
  expect(res.stdout).toContain(`✗ message record ${i + 1} (${e.document.messages[i]?.messageId}`);
  expect(res.stdout).toContain('differs from what was sealed');
  expect(res.stdout).not.toContain('✗ signature');

  const header = await evidenceOf(pdf.bytes);
  header.document.header.ticket.contactName = 'Outra Pessoa';
  const res2 = await cli('verify-pdf', await withEvidence(pdf.bytes, header, 'header.pdf'));
  expect(res2.code).toBe(1);
  expect(res2.stdout).toContain('✗ header record (ticket fields)');
});

test('a byte flipped inside the attachment stream fails', async () => {
  const raw = pdf.bytes.toString('latin1');
  const dict = raw.indexOf('/Type /EmbeddedFile');
  expect(dict).toBeGreaterThan(0);
  const start = raw.indexOf('stream', dict) + 'stream\n'.length;
  const end = raw.indexOf('endstream', start);
  expect(end - start).toBeGreaterThan(100);
  const flipped = Buffer.from(pdf.bytes);
  const at = start + Math.floor((end - start) / 2);
  flipped[at] = (flipped[at] as number) ^ 0x20;
  const file = path.join(work, 'flipped.pdf');
  fs.writeFileSync(file, flipped);
  const res = await cli('verify-pdf', file, '--public-key', keysFile);
  expect(res.code).toBe(1);
  expect(res.stdout).toContain('INVALID');
  expect(res.stdout).toMatch(/✗ /);
});

test('a redacted export hides chosen messages, proves the shown ones and the hidden ones belong to the same sealed root', async () => {
  const full = await evidenceOf(pdf.bytes);
  const texts = full.document.messages.filter((m) => m.type === 'text/plain' && m.text.trim().length > 12);
  expect(texts.length).toBeGreaterThan(2);
  const hidden = texts.slice(0, 2);
  const kept = texts[2] as (typeof texts)[number];
  const unknown = await api('POST', `/v1/tickets/${TICKET}/exports`, {
    redact: { messages: ['not-a-message'] },
  });
  expect(unknown.statusCode).toBe(400);
  expect(JSON.stringify(unknown.body)).toContain('not-a-message');

  const { exportId, state } = await exportToEnd(api, `/v1/tickets/${TICKET}/exports`, {
    redact: { messages: hidden.map((m) => m.messageId), reason: 'dados de terceiros' },
  });
  expect(state).toMatchObject({ status: 'done' });
  const bytes = Buffer.from(await (await request(state.url)).body.arrayBuffer());
  const file = path.join(work, `${exportId}-redacted.pdf`);
  fs.writeFileSync(file, bytes);

  // Nothing of the hidden messages is in the pages or the attachment; the shown ones are.
  const text = execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
  const flat = text.replace(/\s+/g, '');
  const attachment = (await readAttachments(bytes)).find((a) => a.name === evidenceFileName(TICKET));
  const json = attachment?.bytes?.toString('utf8') ?? '';
  for (const m of hidden) {
    expect(flat).not.toContain(m.text.replace(/\s+/g, ''));
    expect(json).not.toContain(m.text);
    expect(json).not.toContain(m.messageId);
  }
  expect(flat).toContain(kept.text.replace(/\s+/g, '').slice(0, 40));
  expect(flat).toContain('[ocultado]');
  expect(flat).toContain('dadosdeterceiros');
  const redacted = JSON.parse(json);
  expect(redacted).toMatchObject({
    version: 2,
    redaction: { hiddenMessages: 2, reason: 'dados de terceiros' },
  });
  // The same signed seal as the full export.
  expect(redacted.envelope).toEqual(full.envelope);

  const ok = await cli('verify-pdf', file, '--public-key', keysFile);
  expect({ code: ok.code, out: ok.stdout }).toEqual({ code: 0, out: expect.stringContaining('VALID') });
  expect(ok.stdout).toContain('2 hidden (redacted by advogada@loja.example');
  expect(ok.stdout).toMatch(/redacted export: \d+ messages shown, each with its Merkle inclusion proof/);

  // A hidden leaf swapped for another hash, and a shown record edited: both named.
  const swapped = structuredClone(redacted);
  const h = swapped.leaves.findIndex((l: { hidden?: unknown }) => l.hidden);
  swapped.leaves[h].hidden.leafHash = 'ab'.repeat(32);
  const bad = await cli(
    'verify-pdf',
    await withEvidence(bytes, swapped, 'redacted-swapped.pdf'),
    '--public-key',
    keysFile,
  );
  expect(bad.code).toBe(1);
  expect(bad.stdout).toContain(`✗ hidden message record ${h}`);
  const edited = structuredClone(redacted);
  const k = edited.leaves.findIndex(
    (l: { shown?: { record: { messageId?: string } } }) => l.shown?.record.messageId === kept.messageId,
  );
  edited.leaves[k].shown.record.text = 'Eu concordo em pagar R$ 10.000,00.';
  const bad2 = await cli(
    'verify-pdf',
    await withEvidence(bytes, edited, 'redacted-edited.pdf'),
    '--public-key',
    keysFile,
  );
  expect(bad2.code).toBe(1);
  expect(bad2.stdout).toContain(`✗ message record ${k} (${kept.messageId}`);
});

test('usage errors exit 2', async () => {
  expect((await cli('verify-pdf')).code).toBe(2);
  expect((await cli('verify-pdf', path.join(work, 'missing.pdf'))).code).toBe(2);
  expect((await cli('verify-pdf', pdf.file, '--public-key', path.join(work, 'missing.pem'))).code).toBe(2);
  const notKeys = path.join(work, 'not-keys.txt');
  fs.writeFileSync(notKeys, 'hello');
  const bad = await cli('verify-pdf', pdf.file, '--public-key', notKeys);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--public-key');
  expect((await cli('verify-pdf', pdf.file, '--nope')).code).toBe(2);
});
