import { describe, expect, it } from 'vitest';
import { baseType, emoji, mediaByUri, mediaKind, safeHttpUrl, str, T } from './content';
import type { Media } from './types';

describe('safeHttpUrl: only http(s) links become clickable', () => {
  it.each([
    'javascript:alert(document.cookie)',
    'JavaScript:alert(1)',
    '  javascript:alert(1)',
    'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    '//evil.example/x',
    '/v1/session',
    'https:evil.example',
    'http:/evil.example',
    'https://',
    '',
  ])('refuses %j', (value) => {
    expect(safeHttpUrl(value)).toBeNull();
  });

  it('refuses values that are not strings', () => {
    expect(safeHttpUrl({ toString: () => 'https://x.example' })).toBeNull();
    expect(safeHttpUrl(null)).toBeNull();
    expect(safeHttpUrl(['https://x.example'])).toBeNull();
  });

  it('keeps http and https links, normalized by the URL parser', () => {
    expect(safeHttpUrl('https://loja.example/pedido?id=42')).toBe('https://loja.example/pedido?id=42');
    expect(safeHttpUrl('  HTTP://Loja.Example  ')).toBe('http://loja.example/');
  });
});

describe('content helpers', () => {
  it('baseType drops parameters and case from a MIME type', () => {
    expect(baseType('Application/VND.Lime.Media-Link+JSON; charset=utf-8')).toBe(T.mediaLink);
    expect(baseType(undefined)).toBe('');
  });

  it('str shows primitives and hides objects (no "[object Object]" on screen)', () => {
    expect(str('a')).toBe('a');
    expect(str(3)).toBe('3');
    expect(str(false)).toBe('false');
    expect(str({ a: 1 })).toBe('');
    expect(str(null)).toBe('');
  });

  it('emoji keeps valid code points and drops invalid ones instead of throwing', () => {
    expect(emoji([0x1f44d])).toBe('👍');
    expect(emoji([0x1f44d, -1, 0x110000, 1.5, '0x1f600'])).toBe('👍');
    expect(emoji('👍')).toBe('');
  });
});

describe('mediaKind: how a stored file is shown', () => {
  it.each([
    ['image/jpeg', 'image'],
    ['IMAGE/PNG', 'image'],
    ['image/webp', 'image'],
    ['audio/ogg; codecs=opus', 'audio'],
    ['video/mp4', 'video'],
    ['application/pdf', 'document'],
    ['text/html', 'document'],
    [null, 'document'],
  ] as const)('%s → %s', (type, kind) => {
    expect(mediaKind(type)).toBe(kind);
  });

  it('never shows SVG inline (it can carry script): it is a download', () => {
    expect(mediaKind('image/svg+xml')).toBe('document');
  });

  it('does not trust look-alike image types', () => {
    expect(mediaKind('image/jpeg; x=1')).toBe('document');
    expect(mediaKind('image/x-icon')).toBe('document');
  });
});

describe('mediaByUri: each link finds its archived copy', () => {
  const media = (ordinal: number, title: string): Media => ({
    ordinal,
    status: 'stored',
    contentType: 'image/jpeg',
    size: 1,
    sha256: null,
    title,
    reason: null,
    url: `https://storage.example/${title}`,
  });
  const link = (uri: string) => ({ type: T.mediaLink, value: { uri } });

  it('numbers own links by first appearance, skipping quoted ones and repeats', () => {
    const content = {
      replied: {
        type: T.collection,
        value: {
          itemType: T.container,
          items: [link('https://a.example/1'), link('https://a.example/2'), link('https://a.example/1')],
        },
      },
      inReplyTo: link('https://quoted.example/q'),
    };
    const map = mediaByUri(T.reply, content, [media(0, 'first'), media(1, 'second')]);
    expect(map.get('https://a.example/1')?.title).toBe('first');
    expect(map.get('https://a.example/2')?.title).toBe('second');
    expect(map.has('https://quoted.example/q')).toBe(false);
  });

  it('a quoted link seen first does not shift the numbering of the message’s own links', () => {
    const content = { inReplyTo: link('https://quoted.example/q'), replied: link('https://own.example/o') };
    const map = mediaByUri(T.reply, content, [media(0, 'own')]);
    expect(map.get('https://own.example/o')?.title).toBe('own');
    expect(map.size).toBe(1);
  });

  it('stops at a depth limit on absurdly nested content instead of overflowing the stack', () => {
    let value: unknown = link('https://deep.example/x').value;
    let type: string = T.mediaLink;
    for (let i = 0; i < 10_000; i++) {
      value = { type, value };
      type = T.container;
    }
    expect(mediaByUri(type, value, [media(0, 'deep')]).size).toBe(0);
  });
});

describe('fallbackText: the API display text, without its English placeholder line', () => {
  it('drops "unsupported content (<type>)", which would show an English line and a code', async () => {
    const { fallbackText } = await import('./content');
    expect(fallbackText('unsupported content (application/vnd.lime.payment+json)')).toBe('');
    expect(fallbackText('unsupported content (no type)')).toBe('');
    expect(fallbackText('  Pagamento de R$ 10  ')).toBe('Pagamento de R$ 10');
    expect(fallbackText(undefined)).toBe('');
  });
});
