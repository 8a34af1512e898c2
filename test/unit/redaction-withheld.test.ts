import type { SealedMessage } from '../../lib/integrity/seal-v2';
import { buildMatcher } from '../../lib/redaction/patterns';
import { withheldInPlace } from '../../lib/redaction/withheld';

const message = (messageId: string, over: Partial<SealedMessage> = {}): SealedMessage => ({
  messageId,
  position: 0,
  direction: 'customer',
  sender: '5511987654321@wa.gw.msging.net',
  sentAt: '2025-05-02T13:00:00.000Z',
  type: 'text/plain',
  text: 'bom dia',
  content: 'bom dia',
  inTicketWindow: true,
  status: null,
  media: [],
  ...over,
});

const none = new Set<string>();
const matcher = buildMatcher(['cpf', 'email', 'phone']);

test('a sealed record holding a match is withheld even when the page printed nothing to replace', () => {
  // The stored text was edited after sealing (the page prints the edit), the seal still has the CPF.
  const sealed = [
    message('a', { text: 'CPF 529.982.247-25', content: 'CPF 529.982.247-25' }),
    // A caption in the content, a file name with an e-mail.
    message('b', {
      type: 'application/vnd.lime.media-link+json',
      text: '',
      content: { type: 'image/png', text: 'fale com maria@exemplo.com' },
    }),
    message('c', {
      media: [
        {
          ordinal: 0,
          status: 'stored',
          sha256: 'ab'.repeat(32),
          size: 1,
          contentType: 'application/pdf',
          title: 'joao@exemplo.com.pdf',
          reason: null,
        },
      ],
    }),
    message('d'),
  ];
  const out = withheldInPlace(sealed, { whole: none, printedRedacted: none, matcher, lang: 'en' });
  expect([...out].sort()).toEqual(['a', 'b', 'c']);
});

test('the sender identity and a ticket event naming the participants do not withhold a message', () => {
  const sealed = [
    message('plain'),
    message('event', {
      type: 'application/vnd.iris.ticket+json',
      text: 'Ticket #1044 opened',
      content: {
        sequentialId: 1044,
        customerIdentity: '5511987654321@wa.gw.msging.net',
        agentIdentity: 'mariana.lopez@loja.example',
      },
    }),
  ];
  expect(withheldInPlace(sealed, { whole: none, printedRedacted: none, matcher, lang: 'pt-BR' }).size).toBe(
    0,
  );
});

test('printed with markers: withheld; hidden entirely: left to the hidden list; no matcher: only what was printed', () => {
  const sealed = [message('x'), message('y', { text: 'CPF 529.982.247-25' }), message('z')];
  const out = withheldInPlace(sealed, {
    whole: new Set(['y']),
    printedRedacted: new Set(['x']),
    lang: 'es',
  });
  expect([...out]).toEqual(['x']);
});
