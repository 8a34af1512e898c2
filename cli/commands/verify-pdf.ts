import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { Command } from 'commander';
import {
  checkRedactedEvidence,
  checkSealEvidence,
  type EvidenceProblem,
  isDevelopmentKeyList,
  PDF_REDACTED_EVIDENCE_VERSION,
  type PdfSealEvidence,
  parseKeyList,
  type RedactedSealEvidence,
  type SealCheck,
  type shownMessages,
  type TrustedKeys,
} from '../../lib/integrity/pdf-evidence';
import { readAttachments } from '../../lib/pdf/attachments';
import { PDF_LABELS, parseLang } from '../../lib/pdf/i18n';
import { messageBodyText } from '../../lib/pdf/message-text';
import { checkPdfSignature, type PdfSignatureCheck } from '../../lib/pdf/signature';
import { type CommandContext, type CommandResult, UsageError } from './common';

/**
 * `verify-pdf <file> [--public-key <file|url>]`: checks an exported PDF on its own, with no database
 * or login (docs/evidence.md): the seal attachments' signatures, the Merkle roots recomputed from
 * the embedded records, and that the PDF's visible text shows what was sealed. Exit 0 valid,
 * 1 invalid (naming what differs), 2 usage.
 */

const SEAL_ATTACHMENT = /^ticket-[^/\\]+\.seal\.json$/;

// Whitespace moves with line wrapping, and colour emoji are glyph images without text.
const squash = (s: string) =>
  s.normalize('NFKC').replace(/\s+|\p{Extended_Pictographic}|\uFE0F|\u200D/gu, '');
// Bidi and control characters are laid out, not kept in logical order, by text extraction.
const extractable = (s: string) =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this skips
  !/[\u0590-\u08ff\u200e-\u202e\u2066-\u2069\u0000-\u0008\u000b-\u001f\ufffd]/.test(s);

async function loadTrustedKeys(source: string): Promise<TrustedKeys> {
  let text: string;
  if (/^https?:\/\//i.test(source)) {
    try {
      const res = await fetch(source, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      text = await res.text();
    } catch (err) {
      throw new UsageError(`--public-key: cannot fetch ${source}: ${(err as Error).message}`);
    }
  } else {
    try {
      text = fs.readFileSync(source, 'utf8');
    } catch (err) {
      throw new UsageError(`--public-key: cannot read ${source}: ${(err as Error).message}`);
    }
  }
  try {
    return { keys: parseKeyList(text), source, development: isDevelopmentKeyList(text) };
  } catch (err) {
    throw new UsageError(`--public-key: ${source}: ${(err as Error).message}`);
  }
}

/**
 * The PDF's text without the page footers (which Chromium prints in the bottom margin and which
 * would otherwise cut a message that runs over a page break). Null when pdftotext is not installed.
 */
function pdfText(file: string): string | null {
  // A4 at 72 dpi is 595 × 842; the body ends 18 mm (51 pt) above the bottom, the footer's text starts about 25 pt above it.
  const r = spawnSync(
    'pdftotext',
    ['-raw', '-enc', 'UTF-8', '-x', '0', '-y', '0', '-W', '596', '-H', '805', file, '-'],
    {
      encoding: 'utf8',
      maxBuffer: 512 * 1024 * 1024,
    },
  );
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') return null;
  if (r.status !== 0) throw new Error(`pdftotext failed: ${r.stderr.trim() || r.error?.message}`);
  return r.stdout;
}

interface TicketReport extends SealCheck {
  textChecked: number;
  textSkipped: number;
  /** A redacted export: records shown, and hidden (proven by leaf hash only). */
  redacted?: {
    shown: number;
    hidden: number;
    /** Printed with parts replaced by markers: proven by leaf hash only, not word for word. */
    shownRedacted: Array<{ leaf: number; position: number; messageId: string }>;
    patterns: string[];
    by: string;
    at: string;
    reason: string | null;
  };
}

export async function verifyPdfCommand(file: string, opts: { publicKey?: string }): Promise<CommandResult> {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const trusted = opts.publicKey ? await loadTrustedKeys(opts.publicKey) : null;
  const invalid = (what: string, detail: string): CommandResult => ({
    code: 1,
    data: { file, valid: false, problems: [{ what, detail }] },
    text: `INVALID: ${file}\n  ✗ ${what}: ${detail}`,
  });

  let attachments: Awaited<ReturnType<typeof readAttachments>>;
  try {
    attachments = await readAttachments(bytes);
  } catch (err) {
    return invalid('pdf', `the file is not a readable PDF (${(err as Error).message})`);
  }
  // The PDF file's own signature (PKCS#7): every byte of pages and attachments, as readers check it.
  const pdfSignature = checkPdfSignature(bytes);
  const seals = attachments.filter((a) => SEAL_ATTACHMENT.test(a.name));
  if (seals.length === 0)
    return invalid('attachments', 'the PDF carries no ticket-vault seal attachment (ticket-<id>.seal.json)');

  const text = pdfText(file);
  const squashed = text === null ? null : squash(text);
  const reports: TicketReport[] = [];
  const problems: EvidenceProblem[] = [];
  if (pdfSignature.status !== 'valid')
    problems.push({
      ticketId: '',
      what: 'pdf signature',
      detail:
        pdfSignature.status === 'none'
          ? 'the PDF file carries no digital signature (exports are signed; this one was not, or its signature was removed)'
          : (pdfSignature.problem ?? 'invalid'),
    });
  for (const a of seals) {
    let parsed: unknown;
    try {
      if (!a.bytes) throw new Error(a.error ?? 'unreadable');
      parsed = JSON.parse(a.bytes.toString('utf8'));
    } catch (err) {
      problems.push({
        ticketId: a.name,
        what: `attachment ${a.name}`,
        detail: `damaged: ${(err as Error).message}`,
      });
      continue;
    }
    const isRedacted = (parsed as { version?: unknown })?.version === PDF_REDACTED_EVIDENCE_VERSION;
    const redactedCheck = isRedacted ? checkRedactedEvidence(parsed, a.name, trusted) : null;
    const check = redactedCheck ?? checkSealEvidence(parsed, a.name, trusted);
    const report: TicketReport = { ...check, textChecked: 0, textSkipped: 0 };
    if (redactedCheck) {
      const r = (parsed as RedactedSealEvidence).redaction;
      report.redacted = {
        shown: redactedCheck.shown,
        hidden: redactedCheck.hidden,
        shownRedacted: redactedCheck.shownRedacted,
        patterns: Array.isArray(r?.patterns) ? r.patterns.map(String) : [],
        by: String(r?.by ?? '?'),
        at: String(r?.at ?? '?'),
        reason: r?.reason ?? null,
      };
    }
    // Each shown message with its leaf index (1 + its place in the sealed thread).
    const messagesOf = (x: unknown) =>
      isRedacted
        ? (x as RedactedSealEvidence).leaves
            .filter((l) => l.index > 0 && 'shown' in l)
            .map((l) => ({
              leaf: l.index,
              m: (l as { shown: { record: unknown } }).shown.record as ReturnType<
                typeof shownMessages
              >[number],
            }))
        : (x as PdfSealEvidence).document.messages.map((m, i) => ({ leaf: i + 1, m }));
    if (squashed !== null && check.records > 0) {
      const e = parsed as PdfSealEvidence;
      const labels = PDF_LABELS[parseLang(e.lang) ?? 'pt-BR'];
      if (!squashed.includes(squash(e.envelope.root)))
        report.problems.push({
          ticketId: check.ticketId,
          what: 'printed root',
          detail: 'the root printed in the PDF (cover and annex) is not the signed root',
        });
      messagesOf(parsed).forEach(({ leaf, m }) => {
        const body = messageBodyText(m, labels);
        if (body === null || !squash(body)) return;
        if (!extractable(body)) {
          report.textSkipped++;
          return;
        }
        report.textChecked++;
        if (!squashed.includes(squash(body)))
          report.problems.push({
            ticketId: check.ticketId,
            what: `message record ${leaf} (${m.messageId}, position ${m.position}).text`,
            detail: 'its sealed text does not appear in the PDF',
          });
      });
    }
    problems.push(...report.problems);
    reports.push(report);
  }

  const valid = problems.length === 0;
  const lines = [`${valid ? 'VALID' : 'INVALID'}: ${file}`, pdfSignatureLine(pdfSignature)];
  for (const r of reports) {
    const own = r.problems.length === 0;
    lines.push(`Ticket ${r.ticketId} · seal ${r.sealId || '?'} · ${r.records} records`);
    if (!r.records) continue;
    const sigOk = !r.problems.some((p) => p.what === 'signature' || p.what === 'key');
    lines.push(
      `  ${sigOk ? '✓' : '✗'} seal signature (Ed25519, key ${r.keyId}) ${r.keySource === 'trusted' ? `checked with the trusted key from ${opts.publicKey}` : 'checked with the key embedded in the PDF only'}`,
    );
    const rootOk = !r.problems.some(
      (p) =>
        p.what === 'root' ||
        (p.what.includes('record') && !p.what.endsWith('.text')) ||
        p.what.startsWith('header'),
    );
    lines.push(
      `  ${rootOk ? '✓' : '✗'} Merkle root recomputed from the embedded records ${rootOk ? 'equals' : 'differs from'} the signed root ${r.root}`,
    );
    if (r.redacted) {
      const inPlace = r.redacted.shownRedacted;
      lines.push(
        `  ${rootOk ? '✓' : '✗'} redacted export: ${r.redacted.shown} messages shown, each with its Merkle inclusion proof to the signed root; ${r.redacted.hidden} hidden (redacted by ${r.redacted.by} at ${r.redacted.at}${r.redacted.reason ? `, reason: ${r.redacted.reason}` : ''}), present only as salted hashes that prove they belong to the same sealed ticket without revealing them`,
      );
      if (inPlace.length > 0 || r.redacted.patterns.length > 0)
        lines.push(
          `  ! ${inPlace.length} message(s) shown REDACTED (parts replaced by markers${r.redacted.patterns.length ? `; patterns: ${r.redacted.patterns.join(', ')}` : ''}): NOT proven word for word, only that a sealed message of this ticket stands at their place (salted hash with inclusion proof)`,
          ...inPlace
            .slice(0, 50)
            .map((m) => `      message record ${m.leaf} (${m.messageId}, position ${m.position})`),
          ...(inPlace.length > 50 ? [`      … and ${inPlace.length - 50} more (--json lists all)`] : []),
        );
    }
    const atExport = r.problems.filter((p) => p.what.startsWith('archive at export'));
    lines.push(
      atExport.length === 0
        ? '  ✓ at export, the archive recomputed the ticket from its stored data and found it equal to this seal'
        : `  ✗ at export, the archive's stored data differed from this seal in ${atExport.length} place(s): the pages may show changed values`,
    );
    if (squashed !== null) {
      const printedOk = !r.problems.some((p) => p.what === 'printed root');
      lines.push(
        `  ${printedOk ? '✓' : '✗'} the root printed in the PDF ${printedOk ? 'is' : 'is NOT'} the signed root`,
        `  ${own || !r.problems.some((p) => p.what.endsWith('.text')) ? '✓' : '✗'} the sealed text of ${r.textChecked} messages checked against the PDF's visible text${r.textSkipped ? ` (${r.textSkipped} with right-to-left or control characters not checkable)` : ''}`,
      );
    }
  }
  if (!valid) {
    lines.push('What differs:');
    for (const p of problems.slice(0, 12)) lines.push(`  ✗ ${p.what}: ${p.detail}`);
    if (problems.length > 12) lines.push(`  … and ${problems.length - 12} more (--json lists all)`);
  }
  const development =
    trusted?.development ||
    seals.some((a) => {
      try {
        return a.bytes
          ? (JSON.parse(a.bytes.toString('utf8')) as PdfSealEvidence).development === true
          : false;
      } catch {
        return false;
      }
    });
  if (development)
    lines.push(
      'Notice: the seal was made with a local DEVELOPMENT key of a test installation: it is not evidence.',
    );
  if (squashed === null)
    lines.push(
      "Notice: pdftotext (poppler-utils) is not installed: the PDF's visible text was NOT compared with the sealed records.",
    );
  if (!trusted && reports.some((r) => r.keySource === 'embedded')) {
    const url = (() => {
      try {
        const first = seals[0]?.bytes;
        return first ? (JSON.parse(first.toString('utf8')) as PdfSealEvidence).keysUrl : undefined;
      } catch {
        return undefined;
      }
    })();
    lines.push(
      'Notice: the signature was checked with the public key embedded in the PDF only. That proves the data was not changed after signing, NOT who signed it.',
      `  To prove it comes from the archive, run again with --public-key ${url ?? '<the published keys URL or file>'}`,
    );
  }
  if (pdfSignature.status === 'valid' && pdfSignature.selfSigned)
    lines.push(
      `Notice: the PDF is signed with a self-signed certificate (${pdfSignature.subject}): compare its SHA-256 fingerprint with the one the archive's owner publishes.`,
    );
  lines.push(
    "Not checked: who the PDF's certificate belongs to (compare its fingerprint); text the pages show beyond the sealed messages (e.g. the cover's wording) is covered by the PDF signature only.",
  );
  return {
    code: valid ? 0 : 1,
    data: {
      file,
      valid,
      keySource: trusted ? 'trusted' : 'embedded',
      textChecked: squashed !== null,
      pdfSignature: {
        status: pdfSignature.status,
        problem: pdfSignature.problem,
        subject: pdfSignature.subject,
        issuer: pdfSignature.issuer,
        fingerprint256: pdfSignature.fingerprint256,
        selfSigned: pdfSignature.selfSigned,
        signingTime: pdfSignature.signingTime,
      },
      tickets: reports.map(
        ({ ticketId, sealId, root, keyId, records, keySource, textChecked, textSkipped, redacted }) => ({
          ticketId,
          sealId,
          root,
          keyId,
          records,
          keySource,
          textChecked,
          textSkipped,
          ...(redacted ? { redacted } : {}),
        }),
      ),
      problems,
    },
    text: lines.join('\n'),
  };
}

function pdfSignatureLine(s: PdfSignatureCheck): string {
  if (s.status === 'none') return '✗ PDF signature: the file is not digitally signed';
  const who = s.subject ? ` by ${s.subject} (certificate SHA-256 ${s.fingerprint256})` : '';
  const when = s.signingTime ? ` at ${s.signingTime}` : '';
  return s.status === 'valid'
    ? `✓ PDF signature (PKCS#7) valid: no byte of the file changed since it was signed${who}${when}`
    : `✗ PDF signature: ${s.problem}${who}`;
}

export function registerVerifyPdfCommands(program: Command, { runOffline }: CommandContext): void {
  program
    .command('verify-pdf <file>')
    .description(
      'check an exported PDF offline: seal signature, Merkle root of the embedded records, visible text (exit 1: invalid)',
    )
    .option(
      '--public-key <file|url>',
      'trusted public keys (PEM, or the JSON of /.well-known/ticket-vault-keys)',
    )
    .option('--json', 'print the result as JSON on stdout')
    .action((file: string, o: { publicKey?: string; json?: boolean }) =>
      runOffline(() => verifyPdfCommand(file, { publicKey: o.publicKey }), Boolean(o.json)),
    );
}
