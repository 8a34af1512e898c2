import type { Db } from '../db/pool';
import { type MessageView, readMessages, type TicketView } from '../db/read';
import type { ObjectStore } from '../storage/object-store';
import { escapeHtml as e, formatBytes } from './escape';

/**
 * The evidence document as HTML, written piece by piece to `write` (a file stream), so a
 * 10 000-message ticket never sits in memory or in workflow history. Every value from the archive
 * is escaped; images are embedded as data: URIs read from our own storage, so the printer never
 * fetches anything.
 */
export interface ExportDocument {
  exportId: string;
  tenantId: string;
  botIdentity: string;
  tenantName: string | null;
  requestedBy: string;
  generatedAt: Date;
  /** What was asked for, e.g. "ticket 1042" or "contact 5511…@wa.gw.msging.net, 2025-01-01 – 2025-03-31". */
  subject: string;
  tickets: TicketView[];
  verifyUrlOf: (ticketId: string) => string;
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
  h1 { font-size: 18pt; margin: 0 0 6mm; } h2 { font-size: 13pt; margin: 8mm 0 3mm; break-after: avoid; }
  table.facts { border-collapse: collapse; width: 100%; margin-bottom: 4mm; }
  table.facts th { text-align: left; width: 38mm; vertical-align: top; padding: 1mm 2mm 1mm 0; color: #444; font-weight: 600; }
  table.facts td { padding: 1mm 0; word-break: break-all; }
  .digest { font-family: 'Noto Sans Mono', monospace; font-size: 8.5pt; }
  .verify { font-size: 8.5pt; color: #333; border: 0.3mm solid #bbb; padding: 2mm; margin-bottom: 4mm; }
  .ticket { break-before: page; }
  .msg { border-left: 1mm solid #999; padding: 1mm 0 1mm 3mm; margin: 0 0 2.5mm; break-inside: avoid; }
  .msg.customer { border-color: #2e7d32; } .msg.agent { border-color: #1565c0; } .msg.bot { border-color: #6a1b9a; }
  .msg.system { border-color: #bbb; color: #555; }
  .msg.outside { color: #555; background: #f4f4f4; }
  .meta { font-size: 8pt; color: #555; margin-bottom: 0.5mm; }
  .text { white-space: pre-wrap; overflow-wrap: anywhere; unicode-bidi: plaintext; }
  .media { font-size: 8.5pt; margin-top: 1mm; }
  .media img { max-width: 120mm; max-height: 110mm; display: block; margin: 1mm 0; }
  .media .hash { font-family: 'Noto Sans Mono', monospace; font-size: 7.5pt; color: #444; word-break: break-all; }
`;

function facts(rows: Array<[string, unknown]>): string {
  return `<table class="facts">${rows
    .map(
      ([k, v]) =>
        `<tr><th>${e(k)}</th><td dir="auto">${v === null || v === undefined || v === '' ? '—' : e(v)}</td></tr>`,
    )
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

async function mediaHtml(deps: ExportHtmlDeps, message: MessageView): Promise<string> {
  const parts: string[] = [];
  for (const m of message.media) {
    const name = m.title || `${message.type} #${m.ordinal}`;
    const line = `${e(name)} · ${e(m.contentType ?? 'unknown type')} · ${e(formatBytes(m.size))}`;
    if (m.status !== 'stored' || !m.storageKey) {
      parts.push(`<div class="media">[media not archived: ${e(m.reason ?? m.status)}] ${line}</div>`);
      continue;
    }
    const img = await imageDataUri(deps, m.storageKey, m.contentType ?? '', m.size);
    parts.push(
      `<div class="media">${img ? `<img src="${img}" alt="${e(name)}">` : ''}${line}<div class="hash">sha-256 ${e(m.sha256)}</div></div>`,
    );
  }
  return parts.join('');
}

const when = (iso: string | null) =>
  iso
    ? iso
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC')
        .replace(/Z$/, ' UTC')
    : '—';

export async function writeExportHtml(
  deps: ExportHtmlDeps,
  doc: ExportDocument,
  write: (chunk: string) => Promise<void>,
): Promise<{ messages: number }> {
  await write(
    `<!doctype html><html><head><meta charset="utf-8"><title>ticket-vault export ${e(doc.exportId)}</title>`,
  );
  await write(`<style>${STYLE}</style></head><body>`);
  await write(`<section class="cover"><h1>ticket-vault · conversation record</h1>`);
  await write(
    facts([
      ['Company / bot', doc.tenantName ? `${doc.tenantName} (${doc.botIdentity})` : doc.botIdentity],
      ['Subject', doc.subject],
      ['Export id', doc.exportId],
      ['Generated at', doc.generatedAt.toISOString()],
      ['Requested by', doc.requestedBy],
      ['Tickets', doc.tickets.length],
    ]),
  );
  await write(
    `<div class="verify">Each ticket below carries its seal: the root of a Merkle tree over everything shown here (the ticket's fields and each message as displayed, with each media's SHA-256), encoded as RFC 8785 JSON, signed with the archive's Ed25519 key and chained to the tenant's previous seal ("ticket-vault seal v2"; tickets archived earlier carry only the v1 digest, the SHA-256 of their messages' and media objects' hashes). To verify, call <span class="digest">GET /v1/tickets/&lt;ticket id&gt;/verify</span> on the archive: it recomputes every field from the stored bytes and answers whether the seal still matches, naming any difference. The public keys are at <span class="digest">/.well-known/ticket-vault-keys</span>.</div></section>`,
  );

  let total = 0;
  for (const t of doc.tickets) {
    await write(`<section class="ticket"><h2>Ticket #${e(t.sequentialId ?? '—')} · ${e(t.ticketId)}</h2>`);
    await write(
      facts([
        ['Contact', t.contact.name],
        ['Phone', t.contact.phone],
        ['Identity', t.contact.identity],
        ['Channel', t.channel],
        ['Agent', t.agent],
        ['Team', t.team],
        ['Status', t.status],
        ['Opened', when(t.openedAt)],
        ['Closed', when(t.closedAt)],
        ['Closed by', t.closedBy],
        ['Messages', t.messageCount],
        ['Media', t.mediaCount],
        ['Archived at', when(t.archivedAt)],
        ['Seal (v2 root)', t.seal ? t.seal.root : null],
        ['Seal id · key', t.seal ? `${t.seal.sealId} · ${t.seal.keyId}` : null],
        ['Digest (v1)', t.digest],
        ['Verify at', doc.verifyUrlOf(t.ticketId)],
      ]),
    );
    for (let after = -1; ; ) {
      const page = await readMessages(deps.db, doc.tenantId, t.ticketId, after, PAGE);
      if (page.length === 0) break;
      const html: string[] = [];
      for (const m of page) {
        const classes = `msg ${m.direction}${m.inTicketWindow ? '' : ' outside'}`;
        const meta = `${when(m.sentAt)} · ${m.direction}${m.sender ? ` · ${m.sender}` : ''}${m.inTicketWindow ? '' : ' · outside this ticket'}`;
        html.push(
          `<div class="${classes}"><div class="meta" dir="auto">${e(meta)}</div><div class="text" dir="auto">${e(m.text)}</div>${await mediaHtml(deps, m)}</div>`,
        );
      }
      await write(html.join(''));
      total += page.length;
      after = page[page.length - 1]?.position ?? after;
    }
    await write('</section>');
  }
  await write('</body></html>');
  return { messages: total };
}
