import { describe, expect, it } from 'vitest';
// The API's own lists of the codes it can answer with: a code added there without words here fails.
import { ERROR_CODES, ERROR_REASONS } from '../../../api/services/http-errors';
import { CHANNELS, CHAT_STATES, DELIVERY_STATES, KNOWN_TICKET_STATUSES } from '../../../lib/blip/domain';
import {
  apiErrorText,
  CHANNEL_KEYS,
  CHAT_STATE_KEYS,
  channelText,
  DELIVERY_KEYS,
  deliveryText,
  ERROR_KEYS,
  fileKindText,
  mediaReasonText,
  REASON_KEYS,
  STATUS_KEYS,
  statusText,
} from './codes';
import { LOCALES, type MessageKey, translator } from './i18n';
import en from './locales/en.json';
import es from './locales/es.json';
import pt from './locales/pt-BR.json';

const files: Record<string, Record<string, string>> = { en, es, 'pt-BR': pt };

/** Words that are the same in every language (brand names, abbreviations). */
const SAME_EVERYWHERE = new Set<MessageKey>([
  'channel.WhatsApp',
  'channel.Instagram',
  'channel.Messenger',
  'channel.Telegram',
  'channel.Teams',
  'channel.SMS',
  'channel.Email', // "E-mail" in pt-BR too
  'fileKind.audio', // "Audio" is also Spanish
  'fileKind.pdf', // "Documento PDF" in pt-BR and es
  'fileKind.document',
]);

const tables: [string, readonly string[], Record<string, MessageKey>][] = [
  ['ticket status', KNOWN_TICKET_STATUSES, STATUS_KEYS],
  ['channel', CHANNELS, CHANNEL_KEYS],
  ['delivery state', DELIVERY_STATES, DELIVERY_KEYS],
  ['chat state', CHAT_STATES, CHAT_STATE_KEYS],
  ['API error code', ERROR_CODES, ERROR_KEYS],
  ['API error reason', ERROR_REASONS, REASON_KEYS],
];

describe('every code the API can answer with has words in every language', () => {
  it.each(tables)('%s', (_what, codes, keys) => {
    for (const code of codes) {
      const key = keys[code];
      expect(key, `${_what} ${code} has no translation key`).toBeDefined();
      for (const locale of LOCALES) {
        const text = files[locale]?.[key as string];
        expect(text, `${locale} ${key}`).toBeTruthy();
        // A code shown as itself is the leak this test is about (in English a plain word such as
        // "Open" may be its own label; ClosedClient or rate_limited never).
        if (!SAME_EVERYWHERE.has(key as MessageKey) && (locale !== 'en' || /[a-z][A-Z]|_/.test(code)))
          expect(text, `${locale} ${key}`).not.toBe(code);
        if (locale !== 'en' && !SAME_EVERYWHERE.has(key as MessageKey))
          expect(text, `${locale} ${key} is still English`).not.toBe(en[key as keyof typeof en]);
      }
    }
  });
});

describe('codes on screen', () => {
  const pt = translator('pt-BR');
  const es = translator('es');

  it('statuses, channels and delivery states read as words, unknown ones too', () => {
    expect(statusText(pt, 'ClosedClient')).toBe('Encerrado pelo cliente');
    expect(statusText(es, 'ClosedAttendant')).toBe('Cerrado por el agente');
    expect(statusText(pt, 'ClosedByTheMoon')).toBe('Encerrado');
    expect(statusText(pt, 'Whatever')).toBe('Outro status');
    expect(channelText(pt, 'BlipChat')).toContain('chat do site');
    expect(channelText(es, 'SomethingNew')).toBe('Otro canal');
    expect(deliveryText(pt, 'received')).toBe('entregue');
    expect(deliveryText(es, 'failed')).toBe('no entregado');
    expect(deliveryText(pt, 'weird')).toBe('');
  });

  it('API errors become sentences in the reader’s language, never the English message', () => {
    const body = {
      error: 'bad_request',
      reason: 'date_invalid',
      message: 'from must be a date',
      params: { field: 'from' },
    };
    expect(apiErrorText(pt, body, 400)).toBe('“Fechado a partir de” não é uma data. Digite como dd/mm/aaaa.');
    expect(
      apiErrorText(es, { error: 'bad_request', reason: 'phone_too_short', params: { min: 8 } }, 400),
    ).toBe('Escribe al menos 8 dígitos del teléfono.');
    expect(
      apiErrorText(
        pt,
        { error: 'bad_request', message: 'querystring/perPage must be <= 100', params: { field: 'perPage' } },
        400,
      ),
    ).toBe('O campo “um campo” não é válido.');
    expect(apiErrorText(pt, { error: 'rate_limited', message: 'too many searches' }, 429)).toContain(
      'Muitos pedidos',
    );
    expect(apiErrorText(es, null, 502)).toContain('no está disponible');
    expect(apiErrorText(pt, null, 0)).toContain('Sem conexão');
    expect(apiErrorText(pt, { error: 'something_new' }, 418)).toContain('não foi aceito');
  });

  it('media failures and file kinds are words, not worker reasons or MIME types', () => {
    expect(mediaReasonText(pt, 'link expired (HTTP 403) and Blip could not refresh it')).toContain(
      'expirado',
    );
    expect(mediaReasonText(es, 'larger than the 1000-byte limit')).toContain('más grande');
    expect(mediaReasonText(pt, 'not fetched (SSRF guard): 10.0.0.1 resolves to private')).toContain('seguro');
    expect(fileKindText(pt, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')).toBe(
      'Planilha',
    );
    expect(fileKindText(es, 'application/octet-stream', 'nota.pdf')).toBe('Documento PDF');
    expect(fileKindText(pt, 'audio/ogg; codecs=opus')).toBe('Áudio');
  });
});
