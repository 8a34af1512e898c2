import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import type { CliIo } from '../../cli/context';
import { runCli } from '../../cli/main';
import {
  evidenceFileName,
  type PdfSealEvidence,
  type RedactedSealEvidence,
} from '../../lib/integrity/pdf-evidence';
import { readAttachments } from '../../lib/pdf/attachments';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import { addClosedTicket, mediaLinkMessage, textMessages } from '../support/generated-tickets';
import { pdfWithEvidence } from '../support/pdf-evidence-edit';
import { exportToEnd, sessionApi } from '../support/session-api';

/**
 * Redaction by pattern (issue 14): an export replaces CPFs, e-mails and custom patterns in the
 * message text by markers in its language, still verifies offline against the same sealed root,
 * names the messages shown redacted, and refuses an attachment edited to un-hide or alter them.
 */

let env: ArchiveEnv;
let cookie: string;
let ticket: string;
const LATAM = 'atendimentolatam';
const CPF = '529.982.247-25';
const EMAIL = 'maria.silva@exemplo.com.br';
const TEXTS = [
  `Meu CPF é ${CPF} e meu e-mail é ${EMAIL}, obrigada.`,
  'Recebido, vamos conferir o seu cadastro agora mesmo.',
  'O número 529.982.247-24 do pedido não é um CPF válido.',
  'Pode ligar no (11) 98765-4321 se precisar de algo.',
];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-redact-'));
let keysFile: string;

const api = sessionApi(
  () => env.app,
  () => cookie,
);

async function cli(...argv: string[]) {
  const out: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: () => {}, tty: false };
  const code = await runCli(argv, { io, env: {} });
  return { code, stdout: out.join('') };
}

async function download(url: string, name: string) {
  const bytes = Buffer.from(await (await request(url)).body.arrayBuffer());
  const file = path.join(work, name);
  fs.writeFileSync(file, bytes);
  return { bytes, file };
}

async function attachmentOf(bytes: Buffer): Promise<string> {
  const found = (await readAttachments(bytes)).find((a) => a.name === evidenceFileName(ticket));
  if (!found?.bytes) throw new Error('no seal attachment');
  return found.bytes.toString('utf8');
}

/** The same pages with the seal attachment replaced (as an attacker with pdf-lib would). */
async function withEvidence(bytes: Buffer, evidence: unknown, name: string): Promise<string> {
  const file = path.join(work, name);
  fs.writeFileSync(file, await pdfWithEvidence(bytes, ticket, evidence));
  return file;
}

beforeAll(async () => {
  env = await startArchiveEnv();
  const start = Date.parse('2025-05-02T13:00:00Z');
  // A file whose name and caption hold an e-mail and a CPF: both are printed, both are redacted.
  const file = env.sim.addMedia({ contentType: 'text/plain', bytes: Buffer.from('extrato de conta') });
  ticket = addClosedTicket(env.sim, {
    bot: LATAM,
    start,
    contactName: 'Maria Silva',
    messages: (id) => [
      ...textMessages(`${id}-t`, TEXTS.length, start, (i) => TEXTS[i] as string),
      mediaLinkMessage(`${id}-m`, start + 10_000, {
        type: 'text/plain',
        uri: file.uri,
        size: file.size,
        title: `extrato ${EMAIL}.txt`,
        text: `segue o extrato do CPF ${CPF}`,
      }),
    ],
  });
  const answer = await env.webhook(ticket, botAuthorization(LATAM));
  await env.result(answer.body.workflowId as string);
  const login = await env.app.inject({
    method: 'POST',
    url: '/v1/session',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ auth: botAuthorization(LATAM), user: 'advogada@loja.example' }),
  });
  cookie = String(login.headers['set-cookie']).split(';')[0] as string;
  keysFile = path.join(work, 'keys.json');
  fs.writeFileSync(
    keysFile,
    (await env.app.inject({ method: 'GET', url: '/.well-known/ticket-vault-keys' })).body,
  );
}, 300_000);

afterAll(async () => {
  await env?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

test('bad redaction requests are refused with a 400 naming the problem', async () => {
  const url = `/v1/tickets/${ticket}/exports`;
  const cases: Array<[unknown, string, string]> = [
    [{ patterns: ['cpf', 'rg'] }, 'redact_pattern_unknown', '"rg"'],
    [{ regex: ['ok', '(a+)+$'] }, 'redact_regex_invalid', '(a+)+$'],
    [{ regex: ['[abc'] }, 'redact_regex_invalid', 'does not compile'],
    [{ regex: ['(x)\\1'] }, 'redact_regex_invalid', 'backreference'],
    [{ regex: ['a*'] }, 'redact_regex_invalid', 'matches empty text'],
    [{ regex: ['x'.repeat(201)] }, 'redact_regex_invalid', 'longer than 200'],
    [{ regex: Array.from({ length: 11 }, (_, i) => `p${i}`) }, 'redact_regex_invalid', 'at most 10'],
    [{ reason: 'nada' }, 'redact_empty', 'name messages, patterns or regex'],
  ];
  for (const [redact, reason, words] of cases) {
    const res = await api('POST', url, { redact });
    expect({ redact, status: res.statusCode, reason: res.body.reason }).toEqual({
      redact,
      status: 400,
      reason,
    });
    expect(res.body.message).toContain(words);
  }
});

test('CPF, e-mail and a custom pattern are replaced by markers; the PDF still verifies against the same seal and names the messages shown redacted', async () => {
  const full = await exportToEnd(api, `/v1/tickets/${ticket}/exports`, { lang: 'en' });
  expect(full.state).toMatchObject({ status: 'done' });
  const fullPdf = await download(full.state.url, 'full.pdf');
  const sealed = JSON.parse(await attachmentOf(fullPdf.bytes)) as PdfSealEvidence;

  const { exportId, state } = await exportToEnd(api, `/v1/tickets/${ticket}/exports`, {
    lang: 'en',
    redact: { patterns: ['cpf', 'email'], regex: ['cadastro'], reason: 'LGPD request 42' },
  });
  expect(state).toMatchObject({ status: 'done' });
  const { bytes, file } = await download(state.url, `${exportId}.pdf`);

  const text = execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
  const flat = text.replace(/\s+/g, ' ');
  // Gone from the pages, marked in place, and the rest untouched (an invalid CPF, a phone not asked for).
  expect(flat).not.toContain(CPF);
  expect(flat).not.toContain(EMAIL);
  expect(flat).not.toMatch(/cadastro/i);
  expect(flat).toContain('Meu CPF é [redacted: CPF] e meu e-mail é [redacted: e-mail], obrigada.');
  expect(flat).toContain('conferir o seu [redacted: pattern] agora');
  expect(flat).toContain('529.982.247-24');
  expect(flat).toContain('(11) 98765-4321');
  // The Redactions page: who, why, what per kind and where.
  expect(flat).toContain('Redactions');
  expect(flat).toContain('At the request of advogada@loja.example (claimed), reason: LGPD request 42');
  // The file's caption and name, on the media line and in the annex.
  expect(flat).toContain('segue o extrato do CPF [redacted: CPF]');
  // (The address takes the extension as its last domain label: `….com.br.txt` is a valid domain.)
  expect(flat).toContain('extrato [redacted: e-mail] · text file');
  expect(flat).toMatch(/5 extrato \[redacted: e-mail\] Type \(MIME\)/);
  expect(flat).toMatch(/CPF: 2 replaced, in message\(s\) 1, 5\./);
  expect(flat).toMatch(/e-mail: 2 replaced, in message\(s\) 1, 5\./);
  expect(flat).toMatch(/pattern: 1 replaced, in message\(s\) 2\./);
  expect(flat).toContain('Custom patterns used: 1');

  // Nor in the attachment: the two messages are proven by salted hash only, the custom pattern not printed.
  const json = await attachmentOf(bytes);
  expect(json).not.toContain(CPF);
  expect(json).not.toContain(EMAIL);
  expect(json).not.toMatch(/cadastro/i);
  const redacted = JSON.parse(json) as RedactedSealEvidence;
  expect(redacted.redaction).toMatchObject({
    by: 'advogada@loja.example (claimed)',
    reason: 'LGPD request 42',
    hiddenMessages: 0,
    shownRedactedMessages: 3,
    patterns: ['cpf', 'email', 'pattern'],
    customPatterns: 1,
  });
  // The original seal, unchanged.
  expect(redacted.envelope).toEqual(sealed.envelope);
  const ids = sealed.document.messages.map((m) => m.messageId);
  const inPlace = redacted.leaves.flatMap((l) => ('hidden' in l && l.hidden.shownRedacted ? [l.index] : []));
  expect(inPlace).toEqual([1, 2, 5]);

  const ok = await cli('verify-pdf', file, '--public-key', keysFile);
  expect({ code: ok.code, out: ok.stdout }).toEqual({ code: 0, out: expect.stringContaining('VALID') });
  expect(ok.stdout).toContain('3 message(s) shown REDACTED');
  expect(ok.stdout).toContain('NOT proven word for word');
  expect(ok.stdout).toContain(`message record 1 (${ids[0]}, position`);
  expect(ok.stdout).toContain(`message record 2 (${ids[1]}, position`);
  // The two verbatim messages are still checked against the pages.
  expect(ok.stdout).toMatch(/sealed text of 2 messages checked/);
  const asJson = await cli('verify-pdf', file, '--public-key', keysFile, '--json');
  expect(JSON.parse(asJson.stdout).tickets[0].redacted.shownRedacted).toEqual([
    { leaf: 1, position: expect.any(Number), messageId: ids[0] },
    { leaf: 2, position: expect.any(Number), messageId: ids[1] },
    { leaf: 5, position: expect.any(Number), messageId: ids[4] },
  ]);

  // Un-hiding with a made-up record: its leaf no longer reaches the signed root.
  const unhidden = structuredClone(redacted) as unknown as { leaves: Array<Record<string, unknown>> };
  const original = sealed.document.messages[0];
  unhidden.leaves[1] = {
    index: 1,
    shown: { record: { ...original, text: 'Meu CPF é 000.000.000-00, obrigada.' }, salt: 'cd'.repeat(32) },
    proof: unhidden.leaves[1]?.proof,
  };
  const bad = await cli(
    'verify-pdf',
    await withEvidence(bytes, unhidden, 'unhidden.pdf'),
    '--public-key',
    keysFile,
  );
  expect(bad.code).toBe(1);
  expect(bad.stdout).toContain(`✗ message record 1 (${ids[0]}, position`);
  expect(bad.stdout).toContain('inclusion proof does not reach the signed root');

  // A redacted leaf's hash altered: named as that message.
  const altered = structuredClone(redacted);
  const leaf = altered.leaves[2] as { hidden: { leafHash: string } };
  leaf.hidden.leafHash = 'ab'.repeat(32);
  const bad2 = await cli(
    'verify-pdf',
    await withEvidence(bytes, altered, 'altered.pdf'),
    '--public-key',
    keysFile,
  );
  expect(bad2.code).toBe(1);
  expect(bad2.stdout).toContain(`✗ redacted message record 2 (${ids[1]}`);

  // Even the true record, un-hidden, is refused by the pages: the attachment would then claim the
  // CPF is printed, and the visible text check finds it is not.
  const truthful = structuredClone(redacted) as unknown as { leaves: Array<Record<string, unknown>> };
  truthful.leaves[1] = {
    index: 1,
    shown: { record: original, salt: sealed.document.salts[1] },
    proof: truthful.leaves[1]?.proof,
  };
  const bad3 = await cli(
    'verify-pdf',
    await withEvidence(bytes, truthful, 'truthful.pdf'),
    '--public-key',
    keysFile,
  );
  expect(bad3.code).toBe(1);
  expect(bad3.stdout).toContain(
    `message record 1 (${ids[0]}, position 0).text: its sealed text does not appear in the PDF`,
  );
});
