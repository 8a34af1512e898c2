import {
  agentName,
  canonicalTimeZone,
  channelInWords,
  dayInZone,
  exportFileName,
  formatDateTime,
  formatDuration,
  formatSize,
  mediaKind,
  type People,
  personInWords,
  personOf,
  slug,
  statusInWords,
  utcOffset,
} from '../../lib/pdf/format';
import {
  DEFAULT_PDF_LANG,
  fill,
  langFromAcceptLanguage,
  PDF_LABELS,
  PDF_LANGS,
  parseLang,
} from '../../lib/pdf/i18n';
import { messageBodyText } from '../../lib/pdf/message-text';

/** The PDF's pure pieces: dictionary, dates in a zone, people, file names, message texts. */

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('every language has the same labels, with the same placeholders, none empty', () => {
  const keys = Object.keys(PDF_LABELS.en).sort();
  for (const lang of PDF_LANGS) {
    const labels = PDF_LABELS[lang] as Record<string, string>;
    expect({ lang, keys: Object.keys(labels).sort() }).toEqual({ lang, keys });
    for (const key of keys) {
      const value = labels[key] as string;
      expect({ lang, key, empty: value.trim() === '' }).toEqual({ lang, key, empty: false });
      expect({ lang, key, p: placeholders(value) }).toEqual({
        lang,
        key,
        p: placeholders((PDF_LABELS.en as Record<string, string>)[key] as string),
      });
    }
  }
  // Spot checks that the objects are really translated, not copies.
  expect(PDF_LABELS['pt-BR'].closedBy).toBe('Encerrado por');
  expect(PDF_LABELS.es.closedBy).toBe('Cerrado por');
  expect(PDF_LABELS.en.closedBy).toBe('Closed by');
});

test('languages are read loosely from a request and from Accept-Language, pt-BR by default', () => {
  expect(parseLang('pt')).toBe('pt-BR');
  expect(parseLang('PT_br')).toBe('pt-BR');
  expect(parseLang('es-MX')).toBe('es');
  expect(parseLang('en-US')).toBe('en');
  expect(parseLang('fr')).toBeNull();
  expect(parseLang('')).toBeNull();
  expect(langFromAcceptLanguage('es-MX,es;q=0.9,en;q=0.8')).toBe('es');
  expect(langFromAcceptLanguage('fr-FR, en;q=0.5, pt;q=0.4')).toBe('en');
  expect(langFromAcceptLanguage('en;q=0.2, pt-BR;q=0.9')).toBe('pt-BR');
  expect(langFromAcceptLanguage('en;q=0, de')).toBe(DEFAULT_PDF_LANG);
  expect(langFromAcceptLanguage(undefined)).toBe('pt-BR');
  expect(fill('Ticket #{n} — {missing}', { n: 1044 })).toBe('Ticket #1044 — {missing}');
});

test('dates are shown in the tenant zone with its UTC offset, day first', () => {
  const close = '2025-03-12T16:54:56.800Z';
  expect(formatDateTime(close, 'America/Sao_Paulo', 'pt-BR')).toBe('12/03/2025 13:54 (UTC\u221203:00)');
  expect(formatDateTime(close, 'America/Mexico_City', 'es')).toBe('12/03/2025 10:54 (UTC\u221206:00)');
  expect(formatDateTime(close, 'UTC', 'en')).toBe('12 Mar 2025 16:54 (UTC+00:00)');
  expect(formatDateTime(close, 'Asia/Kolkata', 'en', { seconds: true })).toBe(
    '12 Mar 2025 22:24:56 (UTC+05:30)',
  );
  expect(formatDateTime(close, 'America/Sao_Paulo', 'pt-BR', { offset: false })).toBe('12/03/2025 13:54');
  expect(formatDateTime(null, 'UTC', 'en')).toBe('—');
  expect(formatDateTime('not a date', 'UTC', 'en')).toBe('—');
  // Daylight saving time changes the offset shown.
  expect(utcOffset(new Date('2025-01-15T12:00:00Z'), 'America/New_York')).toBe('UTC\u221205:00');
  expect(utcOffset(new Date('2025-07-15T12:00:00Z'), 'America/New_York')).toBe('UTC\u221204:00');
  // The calendar day is the zone's: 01:30 UTC is still the previous day in São Paulo.
  expect(dayInZone('2025-03-13T01:30:00Z', 'America/Sao_Paulo')).toBe('2025-03-12');
});

test('time zones are checked against Intl and stored canonically', () => {
  expect(canonicalTimeZone('America/Sao_Paulo')).toBe('America/Sao_Paulo');
  expect(canonicalTimeZone('america/mexico_city')).toBe('America/Mexico_City');
  expect(canonicalTimeZone('UTC')).toBe('UTC');
  expect(canonicalTimeZone('Mars/Olympus_Mons')).toBeNull();
  expect(canonicalTimeZone('')).toBeNull();
  expect(canonicalTimeZone("America/Sao_Paulo'; drop table tenants; --")).toBeNull();
  expect(canonicalTimeZone('x'.repeat(200))).toBeNull();
});

test('durations, sizes, media kinds, channels and statuses in words', () => {
  expect(formatDuration('2025-03-12T13:52:48Z', '2025-03-12T16:54:56Z')).toBe('3 h 02 min');
  expect(formatDuration('2025-03-12T13:52:48Z', '2025-03-12T14:37:00Z')).toBe('44 min');
  expect(formatDuration('2025-03-10T10:00:00Z', '2025-03-12T14:00:00Z')).toBe('2 d 4 h');
  expect(formatDuration('2025-03-12T13:52:48Z', '2025-03-12T13:53:00Z')).toBe('< 1 min');
  expect(formatDuration(null, '2025-03-12T13:53:00Z')).toBeNull();
  expect(formatDuration('2025-03-12T13:53:00Z', '2025-03-12T13:52:00Z')).toBeNull();
  expect(formatSize(821, 'pt-BR')).toBe('821 B');
  expect(formatSize(2205, 'pt-BR')).toBe('2,2 KB');
  expect(formatSize(2205, 'en')).toBe('2.2 KB');
  expect(formatSize(5 * 1024 * 1024, 'es')).toBe('5,0 MB');
  expect(formatSize(null, 'en')).toBe('—');
  const words = (type: string | null, title?: string) => PDF_LABELS.en[mediaKind(type, title)];
  expect(words('application/pdf')).toBe('PDF document');
  expect(words('audio/ogg')).toBe('audio');
  expect(words('video/mp4')).toBe('video');
  expect(words('image/heic')).toBe('image');
  expect(words('application/octet-stream', 'contrato.docx')).toBe('document');
  expect(words('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')).toBe('spreadsheet');
  expect(words(null, 'factura.PDF')).toBe('PDF document');
  expect(words(null)).toBe('file');
  expect(PDF_LABELS['pt-BR'][mediaKind('application/pdf')]).toBe('documento PDF');
  expect(channelInWords('BlipChat', PDF_LABELS.es)).toBe('Blip Chat (chat del sitio web)');
  expect(channelInWords('Something new', PDF_LABELS['pt-BR'])).toBe('outro canal');
  expect(statusInWords('ClosedClient', '2025-03-12T16:54:56Z', PDF_LABELS['pt-BR'])).toBe(
    'Encerrado pelo cliente',
  );
  // A status Blip adds later never reaches the page raw.
  expect(statusInWords('ClosedByMagic', '2025-03-12T16:54:56Z', PDF_LABELS.es)).toBe('Cerrado');
  expect(statusInWords('SomethingOpen', null, PDF_LABELS.en)).toBe('Not closed');
});

test('people by name and role: agents decoded, the customer by name, the bot by its name', () => {
  expect(agentName('mariana.lopez%40lojaexemplo.com.mx@blip.ai')).toBe('mariana.lopez@lojaexemplo.com.mx');
  expect(agentName('MARIANA.LOPEZ%40LOJAEXEMPLO.COM.MX@BLIP.AI')).toBe('MARIANA.LOPEZ@LOJAEXEMPLO.COM.MX');
  expect(agentName('broken%E0%A4%A@blip.ai')).toBe('broken%E0%A4%A@blip.ai');
  expect(agentName(null)).toBeNull();
  const people: People = {
    customerIdentities: ['b3f1c2d4.atendimentolatam@0mn.io', null],
    customerName: 'Rafael Nogueira',
    botIdentity: 'atendimentolatam@msging.net',
    botName: 'Loja Exemplo',
  };
  const t = PDF_LABELS['pt-BR'];
  const closedBy = (identity: string | null) => personInWords(personOf(identity, people), t);
  expect(closedBy('b3f1c2d4.atendimentolatam@0mn.io')).toBe('Rafael Nogueira (Cliente)');
  expect(closedBy('B3F1C2D4.atendimentolatam@0mn.io/instance-1')).toBe('Rafael Nogueira (Cliente)');
  expect(closedBy('patricia.rocha%40lojaexemplo.com.br@blip.ai')).toBe(
    'patricia.rocha@lojaexemplo.com.br (Atendente)',
  );
  expect(closedBy('atendimentolatam@msging.net')).toBe('Loja Exemplo (Bot)');
  expect(closedBy(null)).toBe('Sistema');
  expect(closedBy('something@else.example')).toBe('Sistema');
  expect(personInWords(personOf(null, people, 'agent'), PDF_LABELS.es)).toBe('Agente');
});

test('file names are ASCII slugs people can read', () => {
  expect(slug('Rafael Nogueira')).toBe('rafael-nogueira');
  expect(slug('José  Ñúñez-Çaldeira')).toBe('jose-nunez-caldeira');
  expect(slug('<script>alert(1)</script>')).toBe('script-alert-1-script');
  expect(slug('../../etc/passwd')).toBe('etc-passwd');
  expect(slug('محمد')).toBe('contact');
  expect(slug(null)).toBe('contact');
  expect(slug('Maria da Conceição dos Santos Albuquerque Figueiredo')).toBe('maria-da-conceicao-dos-santos');
  expect(
    exportFileName({
      kind: 'ticket',
      sequentialId: 1044,
      contactName: 'Rafael Nogueira',
      closedAt: '2025-03-12T16:54:56.800Z',
      timeZone: 'America/Sao_Paulo',
    }),
  ).toBe('ticket-1044-rafael-nogueira-2025-03-12.pdf');
  // The close date is the tenant's day, not UTC's.
  expect(
    exportFileName({
      kind: 'ticket',
      sequentialId: 7,
      contactName: null,
      closedAt: '2025-03-13T01:30:00Z',
      timeZone: 'America/Sao_Paulo',
    }),
  ).toBe('ticket-7-contact-2025-03-12.pdf');
  expect(
    exportFileName({
      kind: 'contact',
      contactName: 'Rafael Nogueira',
      from: '2025-03-01T12:00:00Z',
      to: '2025-03-31T12:00:00Z',
      timeZone: 'America/Sao_Paulo',
    }),
  ).toBe('contact-rafael-nogueira-2025-03-01-2025-03-31.pdf');
  expect(
    exportFileName({
      kind: 'contact',
      contactName: 'Rafael Nogueira',
      from: '2025-03-12T13:50:00Z',
      to: '2025-03-12T16:54:56Z',
      timeZone: 'America/Sao_Paulo',
    }),
  ).toBe('contact-rafael-nogueira-2025-03-12.pdf');
});

test('message bodies in the reader language, never a MIME type, typed text untouched', () => {
  const pt = PDF_LABELS['pt-BR'];
  const es = PDF_LABELS.es;
  expect(
    messageBodyText(
      {
        type: 'application/vnd.iris.ticket+json',
        text: 'Ticket #1044 opened (team Suporte N2)',
        content: { sequentialId: 1044, team: 'Suporte N2' },
      },
      pt,
    ),
  ).toBe('Ticket #1044 aberto — equipe Suporte N2');
  expect(
    messageBodyText(
      {
        type: 'application/vnd.lime.media-link+json',
        text: '[application/pdf]',
        content: { type: 'application/pdf', uri: 'https://x/y' },
      },
      es,
    ),
  ).toBe('');
  expect(
    messageBodyText(
      {
        type: 'application/vnd.lime.media-link+json',
        text: 'Mire — foto.jpg',
        content: { type: 'image/jpeg', text: 'Mire', title: 'foto.jpg' },
      },
      es,
    ),
  ).toBe('Mire');
  expect(
    messageBodyText(
      { type: 'application/vnd.lime.chatstate+json', text: '', content: { state: 'composing' } },
      pt,
    ),
  ).toBeNull();
  expect(
    messageBodyText(
      {
        type: 'application/vnd.lime.location+json',
        text: 'Location: Loja (1, 2)',
        content: { text: 'Loja', latitude: 1, longitude: 2 },
      },
      es,
    ),
  ).toBe('Ubicación: Loja (1, 2)');
  expect(
    messageBodyText(
      { type: 'application/vnd.lime.reaction+json', text: 'Reacted 👍 to:\n> ok', content: {} },
      pt,
    ),
  ).toBe('Reagiu com 👍:\n> ok');
  expect(
    messageBodyText(
      { type: 'application/x-new', text: 'unsupported content (application/x-new)', content: {} },
      pt,
    ),
  ).toBe(pt.contentNotShown);
  expect(
    messageBodyText(
      { type: 'application/vnd.lime.collection+json', text: 'Plano 500\n[image/png]', content: {} },
      pt,
    ),
  ).toBe('Plano 500\n[imagem]');
  expect(
    messageBodyText(
      {
        type: 'application/vnd.lime.redirect+json',
        text: '(redirected to atendimento)',
        content: { address: 'atendimento' },
      },
      es,
    ),
  ).toBe('(transferido a atendimento)');
  expect(
    messageBodyText(
      {
        type: 'application/vnd.lime.reply+json',
        text: 'Perfecto\n> Location: Av. Álvaro Obregón 120 (19.4, -99.1)',
        content: {},
      },
      es,
    ),
  ).toBe('Perfecto\n> Ubicación: Av. Álvaro Obregón 120 (19.4, -99.1)');
  expect(
    messageBodyText(
      { type: 'application/vnd.lime.contact+json', text: 'Contact card: Guadalupe · +52155', content: {} },
      pt,
    ),
  ).toBe('Cartão de contato: Guadalupe · +52155');
  // What a customer typed is evidence: printed exactly, even when it looks like a MIME type.
  expect(messageBodyText({ type: 'text/plain', text: 'see [image/png] <b>x</b>', content: 'x' }, pt)).toBe(
    'see [image/png] <b>x</b>',
  );
});
