import {
  buildMatcher,
  checkCustomRegex,
  findAll,
  isLuhnCard,
  isValidCpf,
  RedactionPatternError,
  redactText,
} from '../../lib/redaction/patterns';

const marker = (k: string) => `[redacted: ${k}]`;
const run = (patterns: string[], text: string, regex: string[] = []) =>
  redactText(buildMatcher(patterns, regex), text, marker);

describe('CPF', () => {
  test('valid check digits, formatted or bare, are found', () => {
    expect(isValidCpf('529.982.247-25')).toBe(true);
    expect(isValidCpf('52998224725')).toBe(true);
    const r = run(['cpf'], 'meu CPF é 529.982.247-25 e o da minha mãe 11144477735.');
    expect(r.text).toBe('meu CPF é [redacted: cpf] e o da minha mãe [redacted: cpf].');
    expect(r.counts).toEqual({ cpf: 2 });
  });
  test('wrong check digits, repeated digits and longer runs are not a CPF', () => {
    expect(isValidCpf('529.982.247-24')).toBe(false);
    expect(isValidCpf('111.111.111-11')).toBe(false);
    const text = 'pedido 529.982.247-24, protocolo 52998224726, código 5299822472512, 111.111.111-11';
    expect(run(['cpf'], text).text).toBe(text);
  });
});

describe('card', () => {
  test('13–19 digits passing Luhn, grouped or not', () => {
    expect(isLuhnCard('4111 1111 1111 1111')).toBe(true);
    const r = run(['card'], 'cartão 4111 1111 1111 1111 ou 5500-0000-0000-0004 ou 378282246310005');
    expect(r.text).toBe('cartão [redacted: card] ou [redacted: card] ou [redacted: card]');
    expect(r.counts).toEqual({ card: 3 });
  });
  test('a number failing Luhn, or too short, is left alone', () => {
    const text = 'cartão 4111 1111 1111 1112, nota 123456789012';
    expect(run(['card'], text).text).toBe(text);
  });
});

describe('e-mail', () => {
  test('addresses, accented ones too', () => {
    const r = run(['email'], 'escreva para maria.silva+loja@exemplo.com.br ou joão@correio.pt.');
    expect(r.text).toBe('escreva para [redacted: email] ou [redacted: email].');
  });
  test('an @ mention or a bare domain is not an e-mail', () => {
    const text = 'fale com @maria no site exemplo.com.br';
    expect(run(['email'], text).text).toBe(text);
  });
});

describe('phone', () => {
  test('Brazilian and international shapes', () => {
    const text =
      'ligue (11) 98765-4321, 11 98765-4321, 98765-4321, +55 11 98765 4321, 11987654321 ou +1 415 555 2671';
    const r = run(['phone'], text);
    expect(r.text).toBe(
      'ligue [redacted: phone], [redacted: phone], [redacted: phone], [redacted: phone], [redacted: phone] ou [redacted: phone]',
    );
    expect(r.counts).toEqual({ phone: 6 });
  });
  test('dates, amounts, short numbers and bare order numbers are not phones', () => {
    const text = 'em 12/03/2025 pague R$ 1.234,56, pedido 12345678, ano 2025';
    expect(run(['phone'], text).text).toBe(text);
  });
});

test('overlaps: the longer find wins, CPF before phone for the same digits', () => {
  const r = run(['cpf', 'phone', 'email'], 'cpf 52998224725 e-mail 11987654321@exemplo.com');
  expect(r.text).toBe('cpf [redacted: cpf] e-mail [redacted: email]');
  expect(findAll(buildMatcher(['cpf', 'phone']), '52998224725')).toEqual([
    { start: 0, end: 11, kind: 'cpf' },
  ]);
});

describe('custom patterns', () => {
  test('are applied, case-insensitively, and counted as pattern', () => {
    const r = run([], 'Processo nº 0001234-55.2024.8.26.0100 do João', ['processo nº [\\d.-]+', 'joão']);
    expect(r.text).toBe('[redacted: pattern] do [redacted: pattern]');
    expect(r.counts).toEqual({ pattern: 2 });
  });
  test.each([
    ['(a+)+$', /repeats a group/],
    ['(a|aa)*b', /repeats a group/],
    ['(\\w+\\s?)*$', /repeats a group/],
    ['(x)\\1', /backreference/],
    ['(?=a)a', /lookahead/],
    ['[', /does not compile/],
    ['a*', /matches empty text/],
    ['a'.repeat(201), /longer than 200/],
    ['', /is empty/],
  ])('%s is refused', (source, why) => {
    expect(checkCustomRegex(source)).toMatch(why);
  });
  test.each(['\\d{3}\\.\\d{3}', '(?:abc)+', '[A-Z]{2}\\d+', 'foo|bar', '(ab)?c'])(
    '%s is accepted',
    (source) => {
      expect(checkCustomRegex(source)).toBeNull();
    },
  );
  test('the error names the bad pattern; unknown kinds and more than 10 are refused', () => {
    expect(() => buildMatcher([], ['ok', '(a+)+'])).toThrow(/custom pattern #2 \("\(a\+\)\+"\)/);
    expect(() => buildMatcher(['cpf', 'rg'])).toThrow(RedactionPatternError);
    expect(() => buildMatcher(['cpf', 'rg'])).toThrow(/unknown pattern "rg"/);
    expect(() =>
      buildMatcher(
        [],
        Array.from({ length: 11 }, (_, i) => `x${i}`),
      ),
    ).toThrow(/at most 10/);
  });
});

test('a custom pattern slow on a text (polynomial, not refused) is stopped and the whole text redacted', () => {
  const slow = '\\d*\\d*\\d*\\d*\\d*\\d*x';
  expect(checkCustomRegex(slow)).toBeNull();
  const text = `${'1'.repeat(3000)} segredo`;
  const r = run([], text, [slow]);
  expect(r.text).toBe('[redacted: pattern]');
  expect(r.counts).toEqual({ pattern: 1 });
});
