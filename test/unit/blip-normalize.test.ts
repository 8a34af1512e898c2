import {
  ContentType,
  emojiFromCodePoints,
  type Message,
  normalizeContact,
  normalizeMessage,
  normalizeMessages,
  normalizeTicket,
  normalizeTunnel,
} from '../../lib/blip';
import {
  fixtureIndex,
  fixtureMessages,
  fixtureTicketIds,
  readFixtureJson,
} from '../../tools/harness/blip-fixtures';

const index = fixtureIndex();
const HOSTILE = '5a11ee25-ca1b-5ce2-a798-5f5affcff0a4';
const RICH = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67';
const CAROUSEL = '1d91807c-ee64-51bd-9310-963620a44bca';
const LONG = '805c6e79-257e-5075-933c-0cdd20578e04';
const SHORT = 'b598352e-77f5-546c-a017-5ec108ed50ba';
const TUNNEL = 'ec76db3c-68c3-513c-9d01-a54ee7ba0146';

function messagesOf(ticketId: string): Message[] {
  return normalizeMessages(fixtureMessages(ticketId), { botIdentity: 'atendimentolatam@msging.net' });
}

function byId(ticketId: string, id: string): Message {
  const found = messagesOf(ticketId).find((m) => m.id === id);
  if (!found) throw new Error(`no message ${id} in ${ticketId}`);
  return found;
}

function ofType(ticketId: string, type: string): Message[] {
  return messagesOf(ticketId).filter((m) => m.type === type);
}

describe('every fixture message normalises', () => {
  test.each(fixtureTicketIds())('ticket %s', (ticketId) => {
    const items = fixtureMessages(ticketId);
    const entry = index.tickets.find((t) => t.id === ticketId);
    expect(items).toHaveLength(entry?.messageItems ?? -1);
    const messages = normalizeMessages(items);
    expect(new Set(messages.map((m) => m.type))).toEqual(new Set(entry?.contentTypes));
    messages.forEach((m, i) => {
      const item = items[i];
      expect(m.id).toBe(item?.id);
      // raw is the item exactly as Blip sent it (same object, untouched).
      expect(m.raw).toBe(item);
      expect(m.text.trim()).not.toBe('');
      expect(m.text).not.toMatch(/^unsupported content/);
      expect(m.text).not.toContain('\u0000');
      expect(m.sentAt).toBe(new Date(String(item?.date)).toISOString());
      expect(m.metadata).toEqual(item?.metadata ?? {});
    });
  });

  test('directions follow Blip: received = customer, fwd:fwd: / Human = agent, ticket event = system', () => {
    for (const ticketId of fixtureTicketIds()) {
      for (const m of normalizeMessages(fixtureMessages(ticketId))) {
        if (m.type === ContentType.ticket) expect(m.direction).toBe('system');
        else if (m.raw.direction === 'received') expect(m.direction).toBe('customer');
        else if (m.id.startsWith('fwd:fwd:') || m.metadata['#messageEmitter'] === 'Human') {
          expect(m.direction).toBe('agent');
        } else expect(m.direction).toBe('bot');
      }
    }
    const counts = (ticketId: string) =>
      messagesOf(ticketId).reduce<Record<string, number>>((acc, m) => {
        acc[m.direction] = (acc[m.direction] ?? 0) + 1;
        return acc;
      }, {});
    expect(counts(SHORT)).toEqual({ customer: 7, bot: 4, agent: 6, system: 1 });
  });

  test('senders: bot from $originator, newer agents from #message.agentIdentity, customers from context', () => {
    const rich = normalizeMessages(fixtureMessages(RICH), {
      customerIdentity: '5215512345678@wa.gw.msging.net',
    });
    const agent = rich.find((m) => m.direction === 'agent');
    expect(agent?.sender).toBe('mariana.lopez%40lojaexemplo.com.mx@blip.ai');
    expect(rich.find((m) => m.direction === 'customer')?.sender).toBe('5215512345678@wa.gw.msging.net');
    expect(rich.find((m) => m.direction === 'bot')?.sender).toBe('atendimentolatam@msging.net');
    expect(rich.find((m) => m.direction === 'system')?.sender).toBeNull();
    // Older agent messages do not name the agent: unknown rather than guessed.
    expect(messagesOf(SHORT).find((m) => m.direction === 'agent')?.sender).toBeNull();
  });
});

describe('content types', () => {
  test('select: the question and every option', () => {
    const [menu] = ofType(SHORT, ContentType.select);
    expect(menu?.text).toBe(
      'Olá! Sou a assistente virtual da Loja Exemplo 🛍️ Como posso ajudar?\n1. Acompanhar pedido\n2. Trocas e devoluções\n3. Falar com atendente',
    );
  });

  test('redirect, chatstate and the ticket event read as short system-like texts', () => {
    expect(ofType(RICH, ContentType.redirect)[0]?.text).toBe('(redirected to atendimento)');
    expect(ofType(SHORT, ContentType.redirect)[0]?.text).toBe('(redirected)');
    expect(ofType(LONG, ContentType.chatstate).map((m) => m.text)).toEqual(
      expect.arrayContaining(['(chat state: composing)', '(chat state: paused)']),
    );
    const events = ofType(LONG, ContentType.ticket);
    expect(events.map((m) => m.id)).toEqual([CAROUSEL, LONG]);
    expect(events[1]?.text).toBe('Ticket #1044 opened (Waiting, team Suporte N2)\nCustomer input: Ok');
  });

  test('media-link: caption and file name as text, one media ref with its facts', () => {
    const photo = byId(RICH, '52a157f5-b76f-53b9-aecf-80f20a00cb40');
    expect(photo.text).toBe('Así llegó 😡');
    expect(photo.media).toEqual([
      expect.objectContaining({
        contentType: 'image/jpeg',
        size: 2205,
        isHttp: true,
        path: 'content',
        quoted: false,
        previewUri: expect.stringContaining('/secure-medias/Media_69db785a'),
      }),
    ]);
    const pdf = byId(RICH, 'fwd:fwd:562efb0d-ba81-5aec-9322-9f1f90aede92');
    expect(pdf.text).toBe('Guia_devolucion_DEV-55821.pdf');
    expect(pdf.media[0]?.title).toBe('Guia_devolucion_DEV-55821.pdf');
    const voice = byId(RICH, '8745227e-cdb6-58b1-b765-f45ed1242307');
    expect(voice.text).toBe('[audio/ogg]');
    expect(voice.metadata['#wa.voice']).toBeDefined();
    const failed = byId(RICH, 'fwd:fwd:2d9177ac-57cd-5ebb-a7e8-35dbe5a9e8ce');
    expect(failed.status).toBe('failed');
    expect(failed.reason).toEqual({
      code: 82,
      description: "The content type 'image/heic' is not supported by the channel",
    });
    expect(failed.media).toHaveLength(1);
  });

  test('web-link: title, text and uri as text, never a media ref', () => {
    const link = byId(RICH, 'fwd:fwd:9b71e502-61ff-50ff-abb6-e1209a6b87af');
    expect(link.text).toBe(
      'Sucursales Loja Exemplo — Consulta la sucursal más cercana a tu domicilio — https://www.lojaexemplo.example/mx/sucursales?cp=06700',
    );
    expect(link.media).toEqual([]);
  });

  test('location, shared contact card, reply and reaction', () => {
    expect(ofType(RICH, ContentType.location)[0]?.text).toBe(
      'Location: Av. Álvaro Obregón 120, Roma Nte., Cuauhtémoc, 06700 Ciudad de México, CDMX (19.419444, -99.161667)',
    );
    expect(ofType(RICH, ContentType.contact)[0]?.text).toBe(
      'Contact card: Guadalupe Ruiz Campos · +5215598765432',
    );
    const [buttonTap, agentReply] = ofType(RICH, ContentType.reply);
    expect(buttonTap?.text.split('\n')[0]).toBe('Hablar con asesor');
    expect(buttonTap?.text).toContain('> • Hablar con asesor');
    expect(agentReply?.text).toMatch(/^Perfecto, la sucursal Roma .*\n> Location: Av\. Álvaro Obregón 120/);
    const [thumbsUp] = ofType(RICH, ContentType.reaction);
    expect(thumbsUp?.text).toMatch(/^Reacted 👍 to:\n> Anotado: Guadalupe/);
  });

  test('WhatsApp interactive buttons sent as application/json', () => {
    const [interactive] = ofType(RICH, ContentType.json);
    expect(interactive?.text).toBe(
      '¡Hola! 👋 Soy el asistente virtual de Loja Exemplo México. ¿En qué te podemos ayudar?\n• Rastrear pedido\n• Devoluciones\n• Hablar con asesor',
    );
  });

  test('carousel: collection of document-selects flattened, header images found as media', () => {
    const [carousel] = ofType(CAROUSEL, ContentType.collection);
    expect(carousel?.text).toContain('Fibra 300');
    expect(carousel?.text).toContain('500 Mega por R$ 129,90/mês');
    expect(carousel?.text).toContain('• Ver detalhes — https://www.provedorexemplo.example/planos/fibra-300');
    expect(carousel?.text).toContain('• Quero este');
    expect(carousel?.media.map((r) => [r.path, r.uri, r.isHttp])).toEqual([
      ['content.items[0].header', 'http://blip-media.local/public/lojaexemplo/plano-fibra-300.png', true],
      ['content.items[1].header', 'http://blip-media.local/public/lojaexemplo/plano-fibra-500.png', true],
    ]);
  });

  test('the long ticket: media file name with spaces and parentheses, web-link and chat states', () => {
    const shot = messagesOf(LONG).find((m) => m.type === ContentType.mediaLink);
    expect(shot?.text).toBe('teste de velocidade (quarto).png');
    expect(shot?.media[0]?.uri).toContain('teste%20de%20velocidade%20%28quarto%29.png');
  });
});

describe('the hostile ticket stays inert and verbatim', () => {
  const hostile = () => messagesOf(HOSTILE);
  const textOf = (id: string) => byId(HOSTILE, id).text;

  test('script and HTML injection are kept as literal text', () => {
    expect(textOf('b0a6d409-d089-5d25-9b9d-1f5f6dfe8aa4')).toBe('<script>alert("xss")</script>');
    expect(textOf('0e3544da-8fb5-56f8-8ece-4d285a718700')).toBe(
      '<img src=x onerror="alert(document.domain)">',
    );
    expect(textOf('ee81aa24-0c1e-5f8c-9c55-7f4271ae703f')).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the customer typed a template placeholder on purpose
      "'); DROP TABLE messages;-- y también {{7*7}} ${7*7} #{7*7} <%= 7*7 %>",
    );
  });

  test('RTL, bidi overrides, ZWJ emoji and combining marks are untouched', () => {
    expect(textOf('2b430269-affd-5ffc-8351-df2b90c28b41')).toBe('مرحبا، أريد استرداد المبلغ من فضلك 🙏');
    expect(textOf('b0c01174-c0fd-5ac9-a17d-9cefba7d07b9')).toBe('שלום, אני צריכה עזרה עם ההזמנה שלי');
    expect(textOf('09b4981e-1331-5d52-a63a-4d72c5bb0165')).toContain('\u202eAR-3310\u202c');
    expect(textOf('71d69b82-cfa9-577d-b1cc-a0ac62a207af')).toBe('👩‍👩‍👧‍👦 🏳️‍🌈 🇦🇷 ❤️‍🔥 👍🏿 🧑🏽‍💻');
    const zalgo = byId(HOSTILE, '888947e0-3811-5247-a15f-6aa797a3207c');
    expect(zalgo.text).toBe(zalgo.raw.content);
  });

  test('U+0000 is replaced in text and kept in raw; other control characters stay', () => {
    const m = byId(HOSTILE, '0c898fee-33d6-5fe1-8613-248ce455717d');
    expect(m.raw.content).toContain('\u0000NUL');
    expect(m.text).toContain('\uFFFDNUL');
    expect(m.text).not.toContain('\u0000');
    expect(m.text).toContain('\r\nlínea2\tTAB \u0007BEL \u001b[31mROJO');
    expect(m.text.length).toBe(String(m.raw.content).length);
  });

  test('the ~3 KB text is kept whole', () => {
    const long = hostile().find((m) => m.text.startsWith('Te cuento todo'));
    expect(long?.text.length).toBeGreaterThan(2500);
    expect(long?.text).toBe(long?.raw.content);
  });

  test('javascript: and internal web-links are only text; no media ref', () => {
    const links = hostile().filter((m) => m.type === ContentType.webLink);
    expect(links.map((m) => m.text)).toEqual([
      'Seguí tu pedido — Tocá acá para ver el estado — javascript:alert(document.cookie)',
      'Estado del pedido (interno) — http://intranet.lojaexemplo.example/admin/pedidos?id=AR-3310',
    ]);
    expect(links.flatMap((m) => m.media)).toEqual([]);
  });

  test('file: media is flagged not-http; path traversal and script in titles stay text', () => {
    const media = hostile().flatMap((m) => m.media);
    const file = media.find((r) => r.uri.startsWith('file:'));
    expect(file).toEqual(
      expect.objectContaining({ uri: 'file:///etc/passwd', isHttp: false, title: 'factura.pdf' }),
    );
    const traversal = media.find((r) => r.title === '../../../../etc/passwd.jpg');
    expect(traversal?.isHttp).toBe(true);
    expect(traversal?.uri).toContain('foto%20del%20pedido%20%C3%B1and%C3%BA%20%F0%9F%93%A6.jpg');
    expect(media.find((r) => r.title?.includes('<script>'))?.title).toBe(
      'Factura B 0003-00012345 <script>.pdf',
    );
    expect(media.filter((r) => r.isHttp)).toHaveLength(2);
  });

  test('reaction with a two-code-point emoji decodes to ❤️', () => {
    const [reaction] = hostile().filter((m) => m.type === ContentType.reaction);
    expect(reaction?.text.startsWith('Reacted \u2764\uFE0F to:\n> Sofía, veo un cobro duplicado')).toBe(true);
  });
});

describe('content outside the fixtures', () => {
  const item = (type: string, content: unknown, extra: Record<string, unknown> = {}) =>
    normalizeMessage({
      id: 'm1',
      direction: 'sent',
      type,
      content,
      date: '2025-01-02T03:04:05.678Z',
      ...extra,
    });

  test.each([
    ['application/vnd.lime.input+json', { label: { type: 'text/plain', value: 'Your CPF?' } }],
    ['application/vnd.lime.sensitive+json', { type: 'text/plain', value: 'secret' }],
    ['application/vnd.lime.payment-invoice+json', {}],
    ['application/x-brand-new', 'whatever'],
  ])('unknown or raw-only type %s reads as "unsupported content (type)"', (type, content) => {
    const m = item(type, content);
    expect(m.text).toBe(`unsupported content (${type})`);
    expect(m.raw.content).toBe(content);
  });

  test('missing type', () => {
    expect(normalizeMessage({ id: 'x', direction: 'received', content: 'hi' }).text).toBe(
      'unsupported content (no type)',
    );
  });

  test('application/json that is neither interactive nor template falls back', () => {
    expect(item('application/json', { foo: 1 }).text).toBe('unsupported content (application/json)');
    expect(item('application/json', { type: 'text', text: { body: 'olá' } }).text).toBe('olá');
  });

  test('WhatsApp list and template payloads', () => {
    const list = item('application/json', {
      type: 'interactive',
      interactive: {
        type: 'list',
        header: { type: 'text', text: 'Menu' },
        body: { text: 'Escolha' },
        action: {
          button: 'Ver opções',
          sections: [{ title: 'Pedidos', rows: [{ id: 'a', title: 'Rastrear', description: 'onde está' }] }],
        },
      },
    });
    expect(list.text).toBe('Menu\nEscolha\n[Ver opções]\nPedidos\n• Rastrear — onde está');
    const template = item('application/json', {
      type: 'template',
      template: {
        name: 'pesquisa_nps',
        language: { code: 'pt_BR' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }],
      },
    });
    expect(template.text).toBe('WhatsApp template pesquisa_nps (pt_BR)\nAna');
  });

  test('reaction removal and emoji decoding', () => {
    expect(emojiFromCodePoints([128077])).toBe('👍');
    expect(emojiFromCodePoints([0x1f469, 0x200d, 0x1f4bb])).toBe('👩‍💻');
    expect(emojiFromCodePoints([-1, 0x110000, 1.5, 'x', 65])).toBe('A');
    const removal = item(ContentType.reaction, {
      emoji: { values: [] },
      inReactionTo: { id: 'a', type: 'text/plain', value: 'oi', direction: 'sent' },
    });
    expect(removal.text).toBe('Removed reaction to:\n> oi');
  });

  test('media quoted in replies and reactions is found and marked as quoted', () => {
    const quotedImage = { type: 'image/png', uri: 'https://cdn.example/q.png', title: 'q.png' };
    const reply = item(ContentType.reply, {
      replied: {
        type: ContentType.mediaLink,
        value: { type: 'audio/ogg', uri: 'https://cdn.example/a.ogg' },
      },
      inReplyTo: { id: 'q', type: ContentType.mediaLink, value: quotedImage, direction: 'received' },
    });
    expect(reply.media.map((r) => [r.path, r.quoted, r.uri])).toEqual([
      ['content.replied', false, 'https://cdn.example/a.ogg'],
      ['content.inReplyTo.value', true, 'https://cdn.example/q.png'],
    ]);
    const reaction = item(ContentType.reaction, {
      emoji: { values: [128525] },
      inReactionTo: { id: 'q', type: ContentType.mediaLink, value: quotedImage, direction: 'received' },
    });
    expect(reaction.media).toEqual([
      expect.objectContaining({ path: 'content.inReactionTo.value', quoted: true }),
    ]);
    expect(reaction.text).toBe('Reacted 😍 to:\n> q.png');
  });

  test('document-select media in option labels and containers in collections', () => {
    const m = item(ContentType.collection, {
      itemType: ContentType.container,
      items: [
        { type: 'text/plain', value: 'primeiro' },
        {
          type: ContentType.documentSelect,
          value: {
            header: { type: 'text/plain', value: 'Escolha' },
            options: [
              {
                label: {
                  type: ContentType.mediaLink,
                  value: { type: 'image/jpeg', uri: 'data:image/jpeg;base64,AA' },
                },
              },
            ],
          },
        },
      ],
    });
    expect(m.text).toBe('primeiro\nEscolha\n• [image/jpeg]');
    expect(m.media).toEqual([
      expect.objectContaining({ path: 'content.items[1].value.options[0].label', isHttp: false }),
    ]);
  });

  test('the same link twice in one message is one media ref', () => {
    const link = { type: 'image/png', uri: 'https://cdn.example/x.png' };
    const m = item(ContentType.collection, { itemType: ContentType.mediaLink, items: [link, link] });
    expect(m.media).toHaveLength(1);
  });

  test('deeply nested quotes stop instead of recursing without end', () => {
    let value: unknown = { type: 'text/plain', value: 'fundo' };
    for (let i = 0; i < 50; i++) {
      value = {
        type: ContentType.reply,
        value: { replied: { type: 'text/plain', value: `n${i}` }, inReplyTo: value },
      };
    }
    const m = item(ContentType.container, value);
    expect(m.text).toContain('…');
  });

  test('malformed contents of known types do not throw', () => {
    for (const type of Object.values(ContentType)) {
      for (const content of [null, 42, 'text', [], {}]) {
        expect(() => item(type, content)).not.toThrow();
      }
    }
  });

  test('no date: falls back to metadata date_created (epoch ms), else null', () => {
    const created = normalizeMessage({
      id: 'a',
      direction: 'received',
      type: 'text/plain',
      content: 'x',
      metadata: { date_created: '1741626512470' },
    });
    expect(created.sentAt).toBe('2025-03-10T17:08:32.470Z');
    expect(normalizeMessage({ id: 'b', type: 'text/plain', content: 'x' }).sentAt).toBeNull();
  });

  test('an item without an id is a typed malformed-resource error', () => {
    expect(() => normalizeMessage({ type: 'text/plain' })).toThrow(
      expect.objectContaining({ code: 'BLIP_MALFORMED_RESOURCE' }),
    );
  });
});

describe('tickets, contacts and tunnels', () => {
  const ticketResource = (id: string) =>
    readFixtureJson<{ resource: Record<string, unknown> }>(`tickets/${id}/ticket.json`).resource;

  test.each(index.tickets.map((t) => [t.id, t]))('ticket %s', (id, entry) => {
    const ticket = normalizeTicket(ticketResource(id));
    expect(ticket.id).toBe(id);
    expect(ticket.sequentialId).toBe(entry.sequentialId);
    expect(ticket.channel).toBe(entry.channel);
    expect(ticket.status).toBe(entry.status);
    expect(ticket.customerIdentity).toBe(entry.customerIdentity);
    expect(ticket.ownerIdentity).toBe(entry.bot);
    expect(ticket.closed).toBe(true);
    expect(ticket.raw).toEqual(ticketResource(id));
  });

  test('fields of the richer tickets', () => {
    const mx = normalizeTicket(ticketResource(RICH));
    expect(mx).toEqual(
      expect.objectContaining({
        sequentialSuffix: 'MX',
        priority: 1,
        agentEmail: 'mariana.lopez@lojaexemplo.com.mx',
        team: 'Soporte',
        tags: ['Producto dañado', 'Devolución'],
        storageDate: '2025-03-11T15:20:54.810Z',
        closeDate: '2025-03-11T15:33:17.700Z',
        viaTunnel: false,
      }),
    );
    const long = normalizeTicket(ticketResource(LONG));
    expect(long.parentSequentialId).toBe(1039);
    expect(long.closedBy).toBe('b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d.atendimentolatam@0mn.io');
    const tunnel = normalizeTicket(ticketResource(TUNNEL));
    expect(tunnel.viaTunnel).toBe(true);
    expect(tunnel.channel).toBe('WhatsApp');
    const hostile = normalizeTicket(ticketResource(HOSTILE));
    expect(hostile.status).toBe('ClosedClientInactivity');
    expect(hostile.tags).toContain('<b>tag</b>"\'');
  });

  test('unknown statuses and domains are kept; routingOwnerIdentity wins', () => {
    const t = normalizeTicket({
      id: 't',
      status: 'SomethingNew',
      customerIdentity: 'x@newchannel.gw.msging.net',
      ownerIdentity: 'sub@msging.net',
      routingOwnerIdentity: 'router@msging.net',
      customerDomain: 'tunnel.msging.net',
      sequentialId: '12',
      closed: 'false',
    });
    expect(t).toEqual(
      expect.objectContaining({
        status: 'SomethingNew',
        channel: 'Tunnel',
        ownerIdentity: 'router@msging.net',
        sequentialId: 12,
        closed: false,
      }),
    );
    expect(normalizeTicket({ id: 'u', customerIdentity: 'x@new.example' }).channel).toBe('Other');
    expect(() => normalizeTicket({ sequentialId: 1 })).toThrow(
      expect.objectContaining({ code: 'BLIP_MALFORMED_RESOURCE' }),
    );
  });

  test('hostile contact is kept verbatim (escaping is the renderer’s job)', () => {
    const contact = normalizeContact(
      readFixtureJson<{ resource: unknown }>(`tickets/${HOSTILE}/contact.json`).resource,
    );
    expect(contact.name).toBe('<img src=x onerror=alert(\'xss\')>Sofía "Sofi" Álvarez 🌸 \u202bسُفيا\u202c');
    expect(contact.email).toBe('"><svg/onload=alert(2)>@example.com');
    expect(contact.phoneNumber).toBe('+54 9 11 2345-6789');
    expect(contact.extras['emoji🔑']).toBe('valor con clave unicode');
    expect(contact.raw.photoUri).toBe("javascript:alert('photo')");
  });

  test('tunnel gives the originator', () => {
    const tunnel = normalizeTunnel(
      readFixtureJson<{ resource: unknown }>(`tickets/${TUNNEL}/tunnel.json`).resource,
    );
    expect(tunnel).toEqual(
      expect.objectContaining({
        owner: 'clinicavidasanarouter@msging.net',
        originator: '573001234567@wa.gw.msging.net',
        destination: 'clinicavidasana@msging.net',
      }),
    );
  });
});
