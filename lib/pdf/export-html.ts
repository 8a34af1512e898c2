import type { Db } from '../db/pool';
import {
  type MessageView,
  readDocumentCounts,
  readMessages,
  readTicketAgents,
  readWindowOwners,
  type TicketView,
} from '../db/read';
import {
  addCounts,
  type Matcher,
  type RedactionCounts,
  type RedactionKind,
  redactText,
} from '../redaction/patterns';
import type { ObjectStore } from '../storage/object-store';
import { escapeHtml as e } from './escape';
import {
  agentName,
  channelInWords,
  formatDateTime,
  formatDuration,
  formatSize,
  mediaKind,
  type People,
  personInWords,
  personOf,
  type Role,
  statusInWords,
  utcOffset,
} from './format';
import { fill, PDF_LABELS, type PdfLabels, type PdfLang } from './i18n';
import { messageBodyText } from './message-text';

/**
 * The evidence document as HTML, written piece by piece to `write` (a file stream), so a
 * 10 000-message ticket never sits in memory or in workflow history. It reads as a document for
 * people (issue 15): a cover that summarises, messages by person and role in the requester's
 * language and the tenant's time zone, and every technical identifier (ids, storage keys,
 * hashes, MIME types) only in the final annex. Every value from the archive is escaped; images
 * are embedded as data: URIs read from our own storage, so the printer never fetches anything.
 */
export interface ExportDocument {
  exportId: string;
  kind: 'ticket' | 'contact';
  tenantId: string;
  botIdentity: string;
  tenantName: string | null;
  requestedBy: string;
  generatedAt: Date;
  lang: PdfLang;
  /** IANA zone every date is shown in (the tenant's setting). */
  timeZone: string;
  /** Oldest first. A contact document shows each message once, under the ticket whose window holds it. */
  tickets: TicketView[];
  /** Per ticket id: whether the digest recomputed at export equals the sealed one (null: not sealed). */
  sealVerified: Map<string, boolean | null>;
  verifyUrlOf: (ticketId: string) => string;
  /** Where the installation publishes its public seal keys (the last page tells how to verify). */
  keysUrl?: string;
  /**
   * A redacted export: `messages` are printed as [redacted] with their number only; text matching
   * `matcher` (lib/redaction/patterns.ts) in message bodies, file names and captions is replaced
   * by a marker naming its kind.
   */
  redaction?: ExportRedaction;
}

export interface ExportRedaction {
  messages: ReadonlySet<string>;
  by: string;
  reason: string | null;
  matcher?: Matcher;
  /** How many custom patterns the matcher holds (the PDF names the count, never their text). */
  customPatterns?: number;
}

/** What a redacted export replaced, for the Redactions page and the seal attachment. */
export interface RedactionOutcome {
  /** Per message id with something replaced in place: its number in the PDF and counts per kind. */
  partial: Map<string, { no: number; counts: RedactionCounts }>;
  /** The numbers of the messages hidden entirely. */
  whole: number[];
}

export interface ExportHtmlDeps {
  db: Db;
  store: ObjectStore;
  /** Images larger than this are listed, not embedded. */
  maxEmbeddedImageBytes: number;
}

const EMBEDDABLE = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
const PAGE = 500;

const STYLE = `
  @page { size: A4; margin: 16mm 14mm 18mm 14mm; }
  body { font-family: 'Noto Sans', 'Noto Sans Arabic', 'Noto Sans Hebrew', 'Noto Color Emoji', sans-serif; font-size: 10pt; color: #111; }
  h1 { font-size: 18pt; margin: 0 0 1mm; } .subtitle { font-size: 13pt; margin: 0 0 6mm; color: #333; }
  h2 { font-size: 13pt; margin: 8mm 0 3mm; break-after: avoid; }
  h3 { font-size: 11pt; margin: 6mm 0 2mm; break-after: avoid; }
  table.facts { border-collapse: collapse; width: 100%; margin-bottom: 4mm; }
  table.facts th { text-align: left; width: 42mm; vertical-align: top; padding: 1mm 2mm 1mm 0; color: #444; font-weight: 600; }
  table.facts td { padding: 1mm 0; overflow-wrap: anywhere; }
  .digest, .mono { font-family: 'Noto Sans Mono', monospace; font-size: 8pt; overflow-wrap: anywhere; }
  .seal { font-size: 9pt; border: 0.3mm solid #bbb; padding: 2mm 3mm; margin-bottom: 4mm; }
  .seal .ok { color: #1b5e20; font-weight: 600; } .seal .bad { color: #b71c1c; font-weight: 600; }
  .seal p { margin: 1.5mm 0 0; color: #333; }
  .ticket, .annex, .howto, .redactions { break-before: page; }
  .howto pre { font-family: 'Noto Sans Mono', monospace; font-size: 8.5pt; white-space: pre-wrap; overflow-wrap: anywhere; background: #f3f3f3; padding: 2mm; }
  .msg { border-left: 1mm solid #999; padding: 1mm 0 1mm 3mm; margin: 0 0 2.5mm; break-inside: avoid; }
  .msg.customer { border-color: #2e7d32; } .msg.agent { border-color: #1565c0; } .msg.bot { border-color: #6a1b9a; }
  .msg.system { border-color: #bbb; color: #555; }
  .msg.outside { color: #555; background: #f4f4f4; }
  .meta { font-size: 8pt; color: #555; margin-bottom: 0.5mm; }
  .meta .no { display: inline-block; min-width: 8mm; color: #888; }
  .text { white-space: pre-wrap; overflow-wrap: anywhere; unicode-bidi: plaintext; }
  .media { font-size: 8.5pt; margin-top: 1mm; color: #333; }
  .media img { max-width: 120mm; max-height: 110mm; display: block; margin: 1mm 0; }
  table.ids { border-collapse: collapse; width: 100%; font-size: 7.5pt; margin-bottom: 4mm; }
  table.ids th { text-align: left; border-bottom: 0.3mm solid #999; padding: 0.5mm 1.5mm 0.5mm 0; }
  table.ids td { vertical-align: top; padding: 0.3mm 1.5mm 0.3mm 0; font-family: 'Noto Sans Mono', monospace; overflow-wrap: anywhere; }
  table.ids td.id { white-space: nowrap; }
  .file { font-size: 8pt; margin: 0 0 2mm; break-inside: avoid; }
  .file .no { display: inline-block; min-width: 8mm; color: #888; }
  .file .mono { margin-left: 8mm; font-size: 7.5pt; }
  .note { font-size: 8.5pt; color: #444; }
`;

function facts(rows: Array<[string, unknown]>): string {
  return `<table class="facts">${rows
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<tr><th>${e(k)}</th><td dir="auto">${v === null || v === '' ? '—' : e(v)}</td></tr>`)
    .join('')}</table>`;
}

async function imageDataUri(
  deps: ExportHtmlDeps,
  key: string,
  contentType: string,
  size: number | null,
): Promise<string | null> {
  if (!EMBEDDABLE.has(contentType) || size === null || size > deps.maxEmbeddedImageBytes) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of deps.store.get(key)) chunks.push(chunk as Buffer);
  return `data:${contentType};base64,${Buffer.concat(chunks).toString('base64')}`;
}

/** What the annex lists for one rendered message. */
interface AnnexMessage {
  no: number;
  messageId: string;
  media: MessageView['media'];
}

interface AnnexTicket {
  ticket: TicketView;
  messages: AnnexMessage[];
  hiddenStates: number;
}

async function mediaHtml(deps: ExportHtmlDeps, message: MessageView, t: PdfLabels, lang: PdfLang) {
  const parts: string[] = [];
  for (const m of message.media) {
    const kind = t[mediaKind(m.contentType, m.title)];
    const name = m.title?.trim() || kind;
    const words = [
      name,
      ...(name === kind ? [] : [kind]),
      ...(m.size === null ? [] : [formatSize(m.size, lang)]),
    ];
    if (m.status !== 'stored' || !m.storageKey) {
      parts.push(`<div class="media" dir="auto">${e(words.join(' · '))} · ${e(t.notArchived)}</div>`);
      continue;
    }
    const img = await imageDataUri(deps, m.storageKey, m.contentType ?? '', m.size);
    parts.push(
      `<div class="media">${img ? `<img src="${img}" alt="${e(name)}">` : ''}<span dir="auto">${e(words.join(' · '))}</span></div>`,
    );
  }
  return parts.join('');
}

const uniq = <T>(values: Array<T | null | undefined>): T[] => [
  ...new Set(values.filter((v): v is T => v !== null && v !== undefined && v !== '')),
];

/** The in-place marker for a kind, in the document's language: `[redacted: CPF]`. */
export const redactionMarker = (t: PdfLabels) => (kind: RedactionKind) =>
  fill(t.redactedInPlace, { kind: t[`redactKind_${kind}`] });

export async function writeExportHtml(
  deps: ExportHtmlDeps,
  doc: ExportDocument,
  write: (chunk: string) => Promise<void>,
): Promise<{ messages: number; redaction: RedactionOutcome }> {
  const t = PDF_LABELS[doc.lang];
  const outcome: RedactionOutcome = { partial: new Map(), whole: [] };
  const matcher = doc.redaction?.matcher;
  const marker = redactionMarker(t);
  const zone = doc.timeZone;
  const at = (iso: string | Date | null) => formatDateTime(iso, zone, doc.lang);
  const first = doc.tickets[0];
  const last = doc.tickets[doc.tickets.length - 1];
  const contact = first?.contact ?? { identity: '', name: null, phone: null, email: null };
  const customerName = contact.name ?? contact.phone ?? null;
  const botName = doc.tenantName ?? doc.tenantId;
  const peopleOf = (ticket: TicketView): People => ({
    customerIdentities: [ticket.contact.identity, ticket.tunnelOriginator],
    customerName: ticket.contact.name ?? ticket.contact.phone ?? t.roleCustomer,
    botIdentity: doc.botIdentity,
    botName,
  });

  const writers = new Map<string, string[]>();
  for (const ticket of doc.tickets)
    writers.set(ticket.ticketId, await readTicketAgents(deps.db, doc.tenantId, ticket.ticketId));
  const agentsOf = (ticket: TicketView) =>
    uniq([ticket.agent, ...(writers.get(ticket.ticketId) ?? [])].map(agentName));
  const counts = await readDocumentCounts(
    deps.db,
    doc.tenantId,
    doc.tickets.map((x) => x.ticketId),
  );
  const single = doc.kind === 'ticket' && first !== undefined ? first : null;
  const closedByOf = (ticket: TicketView) =>
    ticket.closedAt || ticket.closedBy ? personInWords(personOf(ticket.closedBy, peopleOf(ticket)), t) : null;

  const title = single
    ? `${fill(t.ticketTitle, { n: single.sequentialId ?? '—' })}${customerName ? ` · ${customerName}` : ''}`
    : fill(t.contactTitle, { name: customerName ?? t.roleCustomer });
  await write(
    `<!doctype html><html lang="${e(doc.lang)}"><head><meta charset="utf-8"><title>${e(title)}</title>`,
  );
  await write(`<style>${STYLE}</style></head><body>`);

  // The cover: what a person needs to know before reading the conversation.
  const referenceOffset = utcOffset(new Date(last?.closedAt ?? doc.generatedAt), zone);
  await write(
    `<section class="cover"><h1>${e(t.documentTitle)}</h1><div class="subtitle" dir="auto">${e(title)}</div>`,
  );
  const rows: Array<[string, unknown]> = [
    [t.company, doc.tenantName ?? doc.tenantId],
    [t.contact, customerName],
    [t.phone, contact.phone],
    ...(contact.email ? [[t.email, contact.email] as [string, unknown]] : []),
    [t.channel, uniq(doc.tickets.map((x) => channelInWords(x.channel, t))).join(', ')],
    [t.agents, uniq(doc.tickets.flatMap(agentsOf)).join(', ')],
    [t.team, uniq(doc.tickets.map((x) => x.team)).join(', ')],
  ];
  if (single) {
    rows.push(
      [t.status, statusInWords(single.status, single.closedAt, t)],
      [t.opened, at(single.openedAt)],
      [t.closed, at(single.closedAt)],
      [t.closedBy, closedByOf(single)],
      [t.duration, formatDuration(single.openedAt, single.closedAt)],
      ...(single.tags.length > 0 ? [[t.tags, single.tags.join(', ')] as [string, unknown]] : []),
    );
  } else {
    rows.push(
      [t.tickets, doc.tickets.map((x) => `#${x.sequentialId ?? '—'}`).join(', ') || '0'],
      [t.opened, at(first?.openedAt ?? null)],
      [t.closed, at(last?.closedAt ?? null)],
    );
  }
  rows.push(
    [t.messages, counts.messages],
    [t.media, counts.media],
    [t.exportedAt, at(doc.generatedAt)],
    [t.requestedBy, doc.requestedBy],
    [t.timeZone, `${zone} (${referenceOffset})`],
  );
  await write(facts(rows));
  const seals = doc.tickets.map((x) => {
    const verified = doc.sealVerified.get(x.ticketId) ?? null;
    const state = !x.digest
      ? `<span class="bad">${e(t.sealMissing)}</span>`
      : verified
        ? `<span class="ok">✓ ${e(t.sealVerified)}</span>`
        : `<span class="bad">✗ ${e(t.sealNotVerified)}</span>`;
    const label = single ? '' : `#${e(x.sequentialId ?? '—')}: `;
    return `<div>${label}<span class="digest">${e(x.seal?.root ?? x.digest ?? '—')}</span><br>${state}</div>`;
  });
  const reasonWords = doc.redaction?.reason ? fill(t.redactedReason, { reason: doc.redaction.reason }) : '';
  const kindWords = (matcher?.kinds ?? []).map((k) => t[`redactKind_${k}`]);
  const redactedNote = [
    doc.redaction && doc.redaction.messages.size > 0
      ? `<p class="note redacted-note">${e(
          fill(t.redactedNote, { n: doc.redaction.messages.size, by: doc.redaction.by, reason: reasonWords }),
        )}</p>`
      : '',
    doc.redaction && kindWords.length > 0
      ? `<p class="note redacted-note">${e(
          fill(t.redactedPatternsNote, {
            kinds: kindWords.join(', '),
            first: kindWords[0] as string,
            by: doc.redaction.by,
            reason: reasonWords,
          }),
        )}</p>`
      : '',
  ].join('');
  await write(
    `<div class="seal"><strong>${e(t.seal)}</strong>${seals.join('')}<p>${e(t.sealExplain)}</p></div>${redactedNote}</section>`,
  );

  // The conversation. A contact's tickets share one thread: each message is printed once, under
  // the ticket whose window holds it (or, outside every window, under the first that returned it).
  const owners =
    doc.kind === 'contact'
      ? await readWindowOwners(
          deps.db,
          doc.tenantId,
          doc.tickets.map((x) => x.ticketId),
        )
      : new Map<string, string>();
  const printed = new Set<string>();
  const annex: AnnexTicket[] = [];
  let no = 0;
  for (const ticket of doc.tickets) {
    const people = peopleOf(ticket);
    const entry: AnnexTicket = { ticket, messages: [], hiddenStates: 0 };
    annex.push(entry);
    await write(
      `<section class="ticket"><h2>${e(fill(t.ticketTitle, { n: ticket.sequentialId ?? '—' }))}</h2>`,
    );
    if (!single) {
      await write(
        facts([
          [t.status, statusInWords(ticket.status, ticket.closedAt, t)],
          [t.opened, at(ticket.openedAt)],
          [t.closed, at(ticket.closedAt)],
          [t.closedBy, closedByOf(ticket)],
          [t.duration, formatDuration(ticket.openedAt, ticket.closedAt)],
          [t.agents, agentsOf(ticket).join(', ')],
          [t.team, ticket.team],
          ...(ticket.tags.length > 0 ? [[t.tags, ticket.tags.join(', ')] as [string, unknown]] : []),
        ]),
      );
    }
    let shown = 0;
    for (let after = -1; ; ) {
      const page = await readMessages(deps.db, doc.tenantId, ticket.ticketId, after, PAGE);
      if (page.length === 0) break;
      const html: string[] = [];
      for (const m of page) {
        const owner = owners.get(m.messageId);
        if (printed.has(m.messageId) || (owner !== undefined && owner !== ticket.ticketId)) continue;
        printed.add(m.messageId);
        const body = messageBodyText(m, t);
        if (body === null) {
          entry.hiddenStates++;
          continue;
        }
        no++;
        shown++;
        if (doc.redaction?.messages.has(m.messageId)) {
          // Nothing of it: not its time, sender, text, media or id (the PDF carries its salted hash).
          entry.messages.push({ no, messageId: t.redactedMessage, media: [] });
          outcome.whole.push(no);
          html.push(
            `<div class="msg redacted"><div class="meta"><span class="no">${no}</span><span>${e(t.redactedMessage)}</span></div></div>`,
          );
          continue;
        }
        // Pattern redaction: the body, file names and captions with each find replaced by a marker.
        const counts: RedactionCounts = {};
        const redact = (text: string) => {
          if (!matcher) return text;
          const r = redactText(matcher, text, marker);
          addCounts(counts, r.counts);
          return r.text;
        };
        const shownBody = body ? redact(body) : body;
        // File names redacted once: the media line and the annex print the same.
        const media = matcher
          ? m.media.map((x) => ({ ...x, title: x.title === null ? null : redact(x.title) }))
          : m.media;
        const mediaPart = await mediaHtml(deps, { ...m, media }, t, doc.lang);
        if (Object.keys(counts).length > 0) outcome.partial.set(m.messageId, { no, counts });
        entry.messages.push({ no, messageId: m.messageId, media });
        const role = (
          ['customer', 'agent', 'bot', 'system'].includes(m.direction) ? m.direction : 'system'
        ) as Role;
        const who = personInWords(
          role === 'system' ? { role, name: null } : personOf(m.sender, people, role),
          t,
        );
        const offset = m.sentAt ? utcOffset(new Date(m.sentAt), zone) : referenceOffset;
        const when = m.sentAt
          ? formatDateTime(m.sentAt, zone, doc.lang, { offset: offset !== referenceOffset, seconds: true })
          : '—';
        const meta = [when, who, ...(m.inTicketWindow ? [] : [t.outsideTicket])].join(' · ');
        html.push(
          `<div class="msg ${role}${m.inTicketWindow ? '' : ' outside'}"><div class="meta"><span class="no">${no}</span><span dir="auto">${e(meta)}</span></div>${shownBody ? `<div class="text" dir="auto">${e(shownBody)}</div>` : ''}${mediaPart}</div>`,
        );
      }
      if (html.length > 0) await write(html.join(''));
      after = page[page.length - 1]?.position ?? after;
    }
    if (shown === 0) await write(`<p class="note">${e(t.noMessages)}</p>`);
    await write('</section>');
  }

  if (doc.redaction) await write(redactionPage(doc.redaction, outcome, t, reasonWords));

  // The annex: every identifier and hash, for checking this document against the archive.
  await write(`<section class="annex"><h2>${e(t.annex)}</h2><p class="note">${e(t.annexIntro)}</p>`);
  await write(
    facts([
      [t.exportId, doc.exportId],
      [t.tenantId, doc.tenantId],
      [t.botIdentity, doc.botIdentity],
      [t.exportedAt, doc.generatedAt.toISOString()],
    ]),
  );
  for (const { ticket, messages, hiddenStates } of annex) {
    await write(`<h3>${e(fill(t.ticketTitle, { n: ticket.sequentialId ?? '—' }))}</h3>`);
    await write(
      facts([
        [t.ticketId, ticket.ticketId],
        [t.customerIdentity, ticket.contact.identity],
        [t.sealRoot, ticket.seal?.root ?? null],
        [t.sealKey, ticket.seal ? `${ticket.seal.sealId} · ${ticket.seal.keyId}` : null],
        [t.digest, ticket.digest],
        [t.verifyAt, doc.verifyUrlOf(ticket.ticketId)],
        [t.archivedAt, ticket.archivedAt],
      ]),
    );
    if (hiddenStates > 0) await write(`<p class="note">${e(fill(t.hiddenStates, { n: hiddenStates }))}</p>`);
    if (messages.length > 0) {
      const rowsHtml = messages.map((m) => `<tr><td>${m.no}</td><td class="id">${e(m.messageId)}</td></tr>`);
      await write(
        `<table class="ids"><tr><th>${e(t.messageNo)}</th><th>${e(t.messageId)}</th></tr>${rowsHtml.join('')}</table>`,
      );
    }
    const media = messages.flatMap((m) => m.media.map((x) => ({ no: m.no, ...x })));
    if (media.length > 0) {
      // One block per file, not a table: keys and hashes are long and must not be cut mid-word.
      const items = media.map(
        (x) =>
          `<div class="file"><div><span class="no">${x.no}</span><span dir="auto">${e(x.title ?? '—')}</span></div><div class="mono">${e(t.contentType)}: ${e(x.contentType ?? '—')} · ${e(t.size)}: ${e(x.size ?? '—')} B</div><div class="mono">${e(t.storageKey)}: ${e(x.storageKey ?? x.reason ?? x.status)}</div><div class="mono">${e(t.sha256)}: ${e(x.sha256 ?? '—')}</div></div>`,
      );
      await write(`<h3>${e(t.mediaFiles)}</h3>${items.join('')}`);
    }
  }
  await write('</section>');
  // The last page: how a lawyer checks this file without the archive (cli/commands/verify-pdf.ts).
  if (doc.keysUrl) {
    const keys = doc.keysUrl;
    await write(
      `<section class="howto"><h2>${e(t.checkTitle)}</h2><p>${e(t.checkIntro)}</p><p>${e(t.checkRun)}</p><pre>npx ticket-vault verify-pdf &lt;file.pdf&gt; --public-key ${e(keys)}</pre><p>${e(fill(t.checkKeys, { url: keys }))}</p><p>${e(t.checkResult)}</p><p>${e(t.checkSignature)}</p></section>`,
    );
  }
  await write('</body></html>');
  return { messages: no, redaction: outcome };
}

/** Message numbers as a short list: 1–3, 7, 9. */
function numberList(nos: number[]): string {
  const sorted = [...new Set(nos)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j++;
    out.push(j > i ? `${sorted[i]}–${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return out.join(', ');
}

/** The Redactions page: who asked and why, whole messages hidden, and per kind how many and where. */
function redactionPage(r: ExportRedaction, outcome: RedactionOutcome, t: PdfLabels, reason: string): string {
  const lines: string[] = [];
  if (outcome.whole.length > 0)
    lines.push(fill(t.redactionWhole, { n: outcome.whole.length, list: numberList(outcome.whole) }));
  for (const kind of r.matcher?.kinds ?? []) {
    const where = [...outcome.partial.values()].filter((p) => (p.counts[kind] ?? 0) > 0);
    const n = where.reduce((sum, p) => sum + (p.counts[kind] ?? 0), 0);
    if (n > 0)
      lines.push(
        fill(t.redactionKindLine, {
          kind: t[`redactKind_${kind}`],
          n,
          list: numberList(where.map((p) => p.no)),
        }),
      );
  }
  if ((r.matcher?.kinds.length ?? 0) > 0 && outcome.partial.size === 0) lines.push(t.redactionNoMatch);
  if (r.customPatterns) lines.push(fill(t.redactionCustom, { n: r.customPatterns }));
  const proof =
    outcome.partial.size > 0
      ? `<p class="note">${e(fill(t.redactionProof, { list: numberList([...outcome.partial.values()].map((p) => p.no)) }))}</p>`
      : '';
  return `<section class="redactions"><h2>${e(t.redactionTitle)}</h2><p>${e(
    fill(t.redactionIntro, { by: r.by, reason }),
  )}</p><ul>${lines.map((l) => `<li>${e(l)}</li>`).join('')}</ul>${proof}</section>`;
}
