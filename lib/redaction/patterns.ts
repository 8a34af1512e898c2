import vm from 'node:vm';

/**
 * Pattern redaction (issue 14, docs/evidence.md "Redaction by pattern"): finds personal data in
 * the text a PDF export prints and replaces it with a marker naming its kind. The built-in kinds
 * check more than the shape, so ordinary numbers are left alone:
 * - `cpf`: `000.000.000-00` or 11 bare digits, with both check digits valid (and not 11 equal digits);
 * - `card`: 13–19 digits, optionally grouped by single spaces or hyphens, passing the Luhn check;
 * - `email`: local@domain.tld;
 * - `phone`: Brazilian (`(11) 98765-4321`, `11 98765-4321`, `98765-4321`, `+55 11 98765 4321`)
 *   and international (`+<country> …`, 8 to 15 digits) shapes.
 * Custom patterns (`regex`) are JavaScript regular expressions, checked by `checkCustomRegex`.
 */

export const PATTERN_KINDS = ['cpf', 'card', 'email', 'phone'] as const;
export type PatternKind = (typeof PATTERN_KINDS)[number];
/** What a replacement names: a built-in kind, or `pattern` for a custom regex. */
export type RedactionKind = PatternKind | 'pattern';

export const MAX_CUSTOM_REGEX = 10;
export const MAX_CUSTOM_REGEX_LENGTH = 200;

const digitsOf = (s: string) => s.replace(/\D/g, '');

/** The two CPF check digits (mod 11) hold, and it is not one digit repeated (those pass the sum). */
export function isValidCpf(value: string): boolean {
  const d = digitsOf(value);
  if (d.length !== 11 || /^(\d)\1{10}$/.test(d)) return false;
  const check = (len: number) => {
    let sum = 0;
    for (let i = 0; i < len; i++) sum += Number(d[i]) * (len + 1 - i);
    const r = (sum * 10) % 11;
    return r === 10 ? 0 : r;
  };
  return check(9) === Number(d[9]) && check(10) === Number(d[10]);
}

/** Luhn over 13–19 digits (every payment card number). */
export function isLuhnCard(value: string): boolean {
  const d = digitsOf(value);
  if (d.length < 13 || d.length > 19 || /^0+$/.test(d)) return false;
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let n = Number(d[d.length - 1 - i]);
    if (i % 2 === 1) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
  }
  return sum % 10 === 0;
}

interface Finder {
  kind: RedactionKind;
  re: RegExp;
  accept?: (match: string) => boolean;
  /** Custom patterns run in a VM context with a time limit (see `boundedMatches`). */
  bounded?: boolean;
}

/** Per text and custom pattern: past this, the match is abandoned and the whole text redacted. */
export const CUSTOM_REGEX_TIMEOUT_MS = 250;

const SCRIPT = new vm.Script(
  'Array.from(text.matchAll(new RegExp(source, "giu")), (m) => [m.index, m[0].length])',
);

// One context, reused: a new one per message would cost a millisecond each.
const CONTEXT = vm.createContext({ text: '', source: '' }) as { text: string; source: string };

/**
 * A custom pattern's matches, or null when it ran past CUSTOM_REGEX_TIMEOUT_MS. A JavaScript
 * regex cannot be stopped from outside, but V8 terminates a `vm` script on its timeout even
 * inside a match, so a pattern the structural check let through still cannot hang an export.
 */
function boundedMatches(source: string, text: string): Array<[number, number]> | null {
  CONTEXT.text = text;
  CONTEXT.source = source;
  try {
    return SCRIPT.runInContext(CONTEXT, { timeout: CUSTOM_REGEX_TIMEOUT_MS }) as Array<[number, number]>;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return null;
    throw err;
  }
}

// Not inside a longer run of digits or a word: a CPF in `x123.456.789-09` is not a CPF.
const NOT_AFTER = '(?<![\\p{L}\\p{N}])';
const NOT_BEFORE = '(?![\\p{L}\\p{N}])';

const BUILT_IN: Record<PatternKind, Finder[]> = {
  cpf: [
    {
      kind: 'cpf',
      re: new RegExp(`${NOT_AFTER}(?:\\d{3}\\.\\d{3}\\.\\d{3}-\\d{2}|\\d{11})${NOT_BEFORE}`, 'gu'),
      accept: isValidCpf,
    },
  ],
  card: [
    {
      kind: 'card',
      re: new RegExp(`${NOT_AFTER}\\d(?:[ -]?\\d){12,18}${NOT_BEFORE}`, 'gu'),
      accept: isLuhnCard,
    },
  ],
  email: [
    {
      kind: 'email',
      re: /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]{1,64}@[\p{L}\p{N}-]{1,63}(?:\.[\p{L}\p{N}-]{1,63}){0,8}\.\p{L}{2,24}(?![\p{L}\p{N}])/gu,
    },
  ],
  phone: [
    {
      // International: + country code, then 7 to 14 more digits in groups.
      kind: 'phone',
      re: new RegExp(`(?<![\\p{L}\\p{N}+])\\+\\d{1,3}(?:[ .-]?\\(?\\d{1,4}\\)?){2,6}${NOT_BEFORE}`, 'gu'),
      accept: (m) => digitsOf(m).length >= 8 && digitsOf(m).length <= 15,
    },
    {
      // Brazilian: optional (DDD) or DDD, then 4–5 digits, separator optional, 4 digits.
      kind: 'phone',
      re: new RegExp(`${NOT_AFTER}(?:\\(\\d{2}\\) ?|\\d{2}[ .-]?)?9?\\d{4}[ .-]?\\d{4}${NOT_BEFORE}`, 'gu'),
      accept: (m) => {
        const d = digitsOf(m);
        // A bare run of 8–11 digits is too often an order or protocol number: ask for a separator
        // unless it is a mobile with DDD (11 digits, the third a 9).
        if (/^\d+$/.test(m)) return d.length === 11 && d[2] === '9';
        return d.length >= 8 && d.length <= 11;
      },
    },
  ],
};

/** Why a custom pattern is refused (a sentence naming the problem), or null when it is usable. */
export function checkCustomRegex(source: string): string | null {
  if (source.length === 0) return 'is empty';
  if (source.length > MAX_CUSTOM_REGEX_LENGTH) return `is longer than ${MAX_CUSTOM_REGEX_LENGTH} characters`;
  let re: RegExp;
  try {
    re = new RegExp(source, 'giu');
  } catch (err) {
    return `does not compile: ${(err as Error).message}`;
  }
  const risky = backtrackingRisk(source);
  if (risky) return risky;
  if (re.test('')) return 'matches empty text (it would mark every position)';
  return null;
}

/**
 * Catastrophic (exponential) backtracking needs a quantified group whose body can itself repeat or
 * choose (`(a+)+`, `(a|aa)*`, `(\w+\s?)*`), or a backreference. Those constructs are refused up
 * front with a clear answer, as are lookarounds: what remains is at worst polynomial in a message's
 * length, and the vm timeout (`boundedMatches`) stops even that. A structural scan of the source:
 * escapes and character classes are skipped, groups tracked on a stack.
 */
function backtrackingRisk(source: string): string | null {
  if (/\\[1-9]|\\k</.test(source)) return 'uses a backreference (not allowed: it can run for hours)';
  if (/\(\?<?[=!]/.test(source)) return 'uses a lookahead or lookbehind (not allowed)';
  // Per open group: whether its body holds a quantifier or an alternation.
  const stack: Array<{ repeats: boolean }> = [];
  let lastClosed: { repeats: boolean } | null = null;
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '\\') {
      i++;
      lastClosed = null;
      continue;
    }
    if (c === '[') {
      // Skip the class (escapes inside included).
      for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
      lastClosed = null;
      continue;
    }
    if (c === '(') {
      stack.push({ repeats: false });
      lastClosed = null;
      continue;
    }
    if (c === ')') {
      lastClosed = stack.pop() ?? { repeats: false };
      // A group that repeats inside makes its parent's body repeat too.
      if (lastClosed.repeats && stack.length > 0)
        (stack[stack.length - 1] as { repeats: boolean }).repeats = true;
      continue;
    }
    const quantifier =
      c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(,\d*)?\}/.test(source.slice(i)));
    if (c === '|' && stack.length > 0) (stack[stack.length - 1] as { repeats: boolean }).repeats = true;
    if (quantifier) {
      // `?` after a quantifier makes it lazy; `x?` repeats at most once, harmless on its own.
      const unbounded = c === '*' || c === '+' || (c === '{' && /^\{\d+,(\d{2,})?\}/.test(source.slice(i)));
      if (lastClosed?.repeats && c !== '?')
        return 'repeats a group that itself repeats or has alternatives, like (a+)+ or (a|b)* (not allowed: it can run for hours)';
      if (stack.length > 0 && (unbounded || c === '{'))
        (stack[stack.length - 1] as { repeats: boolean }).repeats = true;
      if (c === '{') i = source.indexOf('}', i);
      lastClosed = null;
      continue;
    }
    lastClosed = null;
  }
  return null;
}

export interface Matcher {
  kinds: RedactionKind[];
  finders: Finder[];
}

/**
 * What is wrong with an export's choice of patterns, the first problem found: the one check the
 * API (a 400 with its reason code) and the CLI (a usage error) both make before an export starts,
 * and buildMatcher again in the worker.
 */
export type RedactionProblem =
  /** A built-in kind that does not exist. */
  | { kind: 'unknown-pattern'; pattern: string }
  /** More than MAX_CUSTOM_REGEX custom patterns; `pattern` is the first one past the limit. */
  | { kind: 'too-many-regex'; pattern: string; count: number }
  /** A custom pattern refused by checkCustomRegex; `index` counts from 0. */
  | { kind: 'bad-regex'; pattern: string; index: number; problem: string };

export function checkRedaction(
  patterns: readonly string[] = [],
  regex: readonly string[] = [],
): RedactionProblem | null {
  const unknown = patterns.find((p) => !(PATTERN_KINDS as readonly string[]).includes(p));
  if (unknown !== undefined) return { kind: 'unknown-pattern', pattern: unknown };
  if (regex.length > MAX_CUSTOM_REGEX)
    return { kind: 'too-many-regex', pattern: regex[MAX_CUSTOM_REGEX] as string, count: regex.length };
  for (const [index, source] of regex.entries()) {
    const problem = checkCustomRegex(source);
    if (problem) return { kind: 'bad-regex', pattern: source, index, problem };
  }
  return null;
}

/** The problem in words, naming the pattern (the CLI's message and RedactionPatternError's). */
export function redactionProblemText(problem: RedactionProblem): string {
  switch (problem.kind) {
    case 'unknown-pattern':
      return `unknown pattern "${problem.pattern}" (one of ${PATTERN_KINDS.join(', ')})`;
    case 'too-many-regex':
      return `at most ${MAX_CUSTOM_REGEX} custom patterns`;
    case 'bad-regex':
      return `custom pattern #${problem.index + 1} (${JSON.stringify(problem.pattern)}) ${problem.problem}`;
  }
}

/** The matcher for an export's choice; throws naming the first bad pattern (checkRedaction). */
export function buildMatcher(patterns: readonly string[] = [], regex: readonly string[] = []): Matcher {
  const problem = checkRedaction(patterns, regex);
  if (problem) throw new RedactionPatternError(redactionProblemText(problem), problem);
  const finders: Finder[] = [];
  const kinds: RedactionKind[] = [];
  for (const p of patterns as readonly PatternKind[]) {
    if (kinds.includes(p)) continue;
    kinds.push(p);
    finders.push(...BUILT_IN[p]);
  }
  for (const source of regex) {
    if (!kinds.includes('pattern')) kinds.push('pattern');
    finders.push({ kind: 'pattern', re: new RegExp(source, 'giu'), bounded: true });
  }
  return { kinds, finders };
}

export class RedactionPatternError extends Error {
  override name = 'RedactionPatternError';
  constructor(
    message: string,
    readonly problem: RedactionProblem,
  ) {
    super(message);
  }
}

export interface Found {
  start: number;
  end: number;
  kind: RedactionKind;
}

// Where two finds overlap at the same start, the longer wins; at equal length, this order.
const RANK: Record<RedactionKind, number> = { cpf: 0, card: 1, email: 2, phone: 3, pattern: 4 };

/** The non-overlapping spans of `text` to redact, in order. */
export function findAll(matcher: Matcher, text: string): Found[] {
  if (matcher.finders.length === 0 || text.length === 0) return [];
  const all: Found[] = [];
  for (const f of matcher.finders) {
    if (f.bounded) {
      const spans = boundedMatches(f.re.source, text);
      // Timed out: nothing of the text can be shown safely.
      if (spans === null) return [{ start: 0, end: text.length, kind: f.kind }];
      for (const [start, len] of spans) if (len > 0) all.push({ start, end: start + len, kind: f.kind });
      continue;
    }
    f.re.lastIndex = 0;
    for (const m of text.matchAll(f.re)) {
      if (m[0].length === 0) continue;
      if (f.accept && !f.accept(m[0])) continue;
      all.push({ start: m.index ?? 0, end: (m.index ?? 0) + m[0].length, kind: f.kind });
    }
  }
  all.sort((a, b) => a.start - b.start || b.end - a.end || RANK[a.kind] - RANK[b.kind]);
  const out: Found[] = [];
  let end = -1;
  for (const f of all) {
    if (f.start < end) continue;
    out.push(f);
    end = f.end;
  }
  return out;
}

export type RedactionCounts = Partial<Record<RedactionKind, number>>;

/** `text` with each find replaced by `marker(kind)`, and how many of each kind were replaced. */
export function redactText(
  matcher: Matcher,
  text: string,
  marker: (kind: RedactionKind) => string,
): { text: string; counts: RedactionCounts; replaced: number } {
  const found = findAll(matcher, text);
  if (found.length === 0) return { text, counts: {}, replaced: 0 };
  const counts: RedactionCounts = {};
  let out = '';
  let at = 0;
  for (const f of found) {
    out += text.slice(at, f.start) + marker(f.kind);
    at = f.end;
    counts[f.kind] = (counts[f.kind] ?? 0) + 1;
  }
  return { text: out + text.slice(at), counts, replaced: found.length };
}

/** Whether any string inside `value` (an object's values, deeply) holds something to redact. */
export function containsMatch(matcher: Matcher, value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return findAll(matcher, value).length > 0;
  if (depth > 20 || value === null || typeof value !== 'object') return false;
  return Object.values(value as Record<string, unknown>).some((v) => containsMatch(matcher, v, depth + 1));
}

export function addCounts(into: RedactionCounts, more: RedactionCounts): RedactionCounts {
  for (const [k, n] of Object.entries(more) as Array<[RedactionKind, number]>) into[k] = (into[k] ?? 0) + n;
  return into;
}
