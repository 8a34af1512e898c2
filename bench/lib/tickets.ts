import { randomUUID } from 'node:crypto';
import type { AddedMedia, BlipSimulator } from '../../tools/blip-sim';

/**
 * A closed WhatsApp ticket of `tenantId` with `count` text messages (customer and agent in turn),
 * and one media-link message per item of `media`, spread evenly through the conversation.
 */
export function addGeneratedTicket(
  sim: BlipSimulator,
  tenantId: string,
  count: number,
  media: Array<{ added: AddedMedia; contentType: string; title: string }> = [],
  seq = 0,
): string {
  const id = randomUUID();
  const start = Date.parse('2025-06-01T10:00:00.000Z');
  const customer = `55119${String(seq % 1e8).padStart(8, '0')}@wa.gw.msging.net`;
  const total = count + media.length;
  const every = media.length > 0 ? Math.max(1, Math.floor(total / media.length)) : Number.POSITIVE_INFINITY;
  const messages: Array<Record<string, unknown>> = [];
  let m = 0;
  for (let i = 0; i < total; i++) {
    const date = new Date(start + 1000 * (i + 1)).toISOString();
    const item = i % every === every - 1 ? media[m] : undefined;
    if (item) {
      m++;
      messages.push({
        id: `gen-${id}-${i}`,
        direction: 'received',
        type: 'application/vnd.lime.media-link+json',
        content: { type: item.contentType, uri: item.added.uri, size: item.added.size, title: item.title },
        date,
        status: 'consumed',
      });
    } else {
      messages.push({
        id: `gen-${id}-${i}`,
        direction: i % 2 === 0 ? 'received' : 'sent',
        type: 'text/plain',
        content: `mensagem ${i}: o pedido chegou com a caixa amassada e o produto não liga; segue a foto`,
        date,
        status: 'consumed',
      });
    }
  }
  for (; m < media.length; m++) {
    const item = media[m] as (typeof media)[number];
    messages.push({
      id: `gen-${id}-media-${m}`,
      direction: 'received',
      type: 'application/vnd.lime.media-link+json',
      content: { type: item.contentType, uri: item.added.uri, size: item.added.size, title: item.title },
      date: new Date(start + 1000 * (total + m + 1)).toISOString(),
      status: 'consumed',
    });
  }
  sim.addTicket({
    ticket: {
      id,
      sequentialId: 50_000 + seq,
      ownerIdentity: `${tenantId}@msging.net`,
      customerIdentity: customer,
      customerDomain: 'wa.gw.msging.net',
      status: 'ClosedAttendant',
      closed: true,
      storageDate: new Date(start).toISOString(),
      openDate: new Date(start).toISOString(),
      closeDate: new Date(start + 1000 * (total + media.length + 10)).toISOString(),
      team: 'Default',
    },
    contact: { identity: customer, name: `Cliente ${seq}`, phoneNumber: `+${customer.split('@')[0]}` },
    messages,
  });
  return id;
}
