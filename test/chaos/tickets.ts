import { randomUUID } from 'node:crypto';
import type { BlipSimulator } from '../../tools/blip-sim';
import type { Random } from '../../tools/blip-sim/rng';

/**
 * Seeded ticket generation for chaos runs: a mix of text-only, multi-page (≥150 messages), media
 * (a few KB to a few MB, some behind links that have already expired) and router/tunnel tickets,
 * spread over both fixture bots. Every ticket has its own customer, so the thread Blip returns is
 * exactly the ticket's messages and the expectation is simple: what we registered.
 */

export const BOTS = ['atendimentolatam', 'clinicavidasana'] as const;
export const ROUTER = 'clinicavidasanarouter@msging.net';

export type TicketKind = 'text' | 'multipage' | 'media' | 'tunnel';

export interface ExpectedMedia {
  messageId: string;
  sha256: string;
  size: number;
}

export interface ExpectedTicket {
  bot: (typeof BOTS)[number];
  id: string;
  kind: TicketKind;
  messageIds: string[];
  media: ExpectedMedia[];
}

const pick = <T>(rnd: Random, items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
const int = (rnd: Random, min: number, max: number) => min + Math.floor(rnd() * (max - min + 1));

/** A UUID drawn from the seeded generator (v4 layout), so a seed names the same tickets. */
export function seededUuid(rnd: Random): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rnd() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Media sizes: mostly small, some hundreds of KB, a few MB. */
function mediaSize(rnd: Random, maxMb: number): number {
  const r = rnd();
  if (r < 0.6) return int(rnd, 2_000, 60_000);
  if (r < 0.9) return int(rnd, 60_000, 800_000);
  return int(rnd, 800_000, Math.max(900_000, Math.floor(maxMb * 1024 * 1024)));
}

const MEDIA_TYPES = [
  ['image/jpeg', 'foto.jpg'],
  ['image/png', 'print.png'],
  ['audio/ogg', 'audio.ogg'],
  ['video/mp4', 'video.mp4'],
  ['application/pdf', 'nota.pdf'],
] as const;

export async function generateTickets(
  sim: BlipSimulator,
  rnd: Random,
  count: number,
  options: { runId: string; maxMediaMb?: number },
): Promise<ExpectedTicket[]> {
  const kinds: TicketKind[] = ['text', 'multipage', 'media', 'tunnel'];
  const out: ExpectedTicket[] = [];
  const base = Date.parse('2025-09-01T08:00:00.000Z');
  for (let n = 0; n < count; n++) {
    // Every kind at least once, then a seeded mix weighted towards media.
    const kind: TicketKind =
      n < kinds.length
        ? (kinds[n] as TicketKind)
        : pick(rnd, ['text', 'media', 'media', 'multipage', 'tunnel']);
    const bot: (typeof BOTS)[number] = kind === 'tunnel' ? 'clinicavidasana' : pick(rnd, BOTS);
    // Ids are unique per run (workflow ids are namespace-wide on a shared Temporal); everything
    // else is drawn from the seed.
    seededUuid(rnd);
    const id = randomUUID();
    const start = base + n * 3_600_000;
    const phone = `55${int(rnd, 11, 99)}9${String(int(rnd, 0, 99_999_999)).padStart(8, '0')}`;
    const originator = `${phone}@wa.gw.msging.net`;
    const tunnelId = kind === 'tunnel' ? randomUUID() : null;
    const customer = tunnelId ? `${tunnelId}@tunnel.msging.net` : originator;
    const textCount = kind === 'multipage' ? int(rnd, 150, 260) : int(rnd, 3, 40);
    const messages: Array<Record<string, unknown>> = [];
    const media: ExpectedMedia[] = [];
    for (let i = 0; i < textCount; i++) {
      messages.push({
        id: `chaos-${options.runId}-${id}-${i}`,
        direction: i % 2 === 0 ? 'received' : 'sent',
        type: 'text/plain',
        content: `mensagem ${i} do ticket ${n} ${pick(rnd, ['olá', 'ação', '😀', '<b>x</b>', 'pedido 1042'])}`,
        date: new Date(start + 1000 * (i + 1)).toISOString(),
        status: 'consumed',
      });
    }
    const mediaCount = kind === 'media' ? int(rnd, 1, 3) : kind === 'tunnel' && rnd() < 0.5 ? 1 : 0;
    for (let m = 0; m < mediaCount; m++) {
      const [type, title] = pick(rnd, MEDIA_TYPES);
      const size = mediaSize(rnd, options.maxMediaMb ?? 3);
      const expiredLink = rnd() < 0.3;
      const added = sim.addMedia({
        contentType: type,
        requiresSignature: expiredLink,
        generate: { size, seed: int(rnd, 1, 2 ** 30) },
      });
      // A link issued two hours ago has expired: the worker must refresh it through Blip.
      const uri = expiredLink
        ? sim.signedMediaUri(added.path, new Date(Date.now() - 2 * 3_600_000))
        : added.uri;
      const messageId = `chaos-${options.runId}-${id}-media-${m}`;
      const at = int(rnd, 0, messages.length);
      messages.splice(at, 0, {
        id: messageId,
        direction: 'received',
        type: 'application/vnd.lime.media-link+json',
        content: { type, uri, size, title },
        date: '',
        status: 'consumed',
      });
      media.push({ messageId, sha256: await added.sha256(), size });
    }
    messages.forEach((m, i) => {
      m.date = new Date(start + 1000 * (i + 1)).toISOString();
    });
    sim.addTicket({
      ticket: {
        id,
        sequentialId: 10_000 + n,
        ownerIdentity: `${bot}@msging.net`,
        customerIdentity: customer,
        customerDomain: 'wa.gw.msging.net',
        agentIdentity: 'agente%40loja.example@blip.ai',
        status: 'ClosedAttendant',
        closed: true,
        storageDate: new Date(start).toISOString(),
        openDate: new Date(start).toISOString(),
        closeDate: new Date(start + 1000 * (messages.length + 2)).toISOString(),
        team: 'Default',
      },
      contact: { identity: originator, name: `Cliente Caos ${n}`, phoneNumber: `+${phone}` },
      ...(tunnelId ? { tunnel: { owner: ROUTER, originator, destination: `${bot}@msging.net` } } : {}),
      messages,
    });
    out.push({ bot, id, kind, messageIds: messages.map((m) => String(m.id)), media });
  }
  return out;
}

export const runIdFor = (seed: number) => `${seed}-${randomUUID().slice(0, 8)}`;
