import type { JsonObject } from './fixtures';

/**
 * The `$filter` dialect the simulator understands on ticket listings (docs/blip-api.md §11):
 * `storageDate ge|le datetimeoffset'…'`, `CustomerIdentity eq '…'`, `sequentialId eq N`,
 * `status eq 'open'`, combined with `and` / `or` and parentheses. Field names match ticket fields
 * case-insensitively. `status eq 'closed'` is refused the way Blip refuses it [O]; anything the
 * simulator cannot evaluate is refused the same way rather than silently ignored.
 */

export class UnsupportedFilterError extends Error {
  constructor(readonly operation: string) {
    super(`Unable to perform operation '${operation}'`);
  }
}

type Value =
  | { kind: 'string'; text: string }
  | { kind: 'date'; at: number; text: string }
  | { kind: 'number'; n: number };
type Node =
  | { op: 'and' | 'or'; left: Node; right: Node }
  | { op: 'cmp'; field: string; cmp: string; value: Value; source: string };

const COMPARATORS = new Set(['eq', 'ne', 'ge', 'le', 'gt', 'lt']);
const MAX_TOKENS = 200;

type Token = {
  kind: 'word' | 'string' | 'date' | 'lparen' | 'rparen';
  text: string;
  start: number;
  end: number;
};

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    if (tokens.length > MAX_TOKENS) throw new UnsupportedFilterError(input);
    const c = input[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      tokens.push({ kind: c === '(' ? 'lparen' : 'rparen', text: c, start: i, end: i + 1 });
      i++;
      continue;
    }
    const dateMatch = /^datetimeoffset'/i.exec(input.slice(i));
    if (c === "'" || dateMatch) {
      const start = i;
      i += dateMatch ? dateMatch[0].length : 1;
      let text = '';
      for (;;) {
        if (i >= input.length) throw new UnsupportedFilterError(input);
        if (input[i] === "'" && input[i + 1] === "'") {
          text += "'";
          i += 2;
        } else if (input[i] === "'") {
          i++;
          break;
        } else {
          text += input[i];
          i++;
        }
      }
      tokens.push({ kind: dateMatch ? 'date' : 'string', text, start, end: i });
      continue;
    }
    const word = /^[A-Za-z0-9_.:+-]+/.exec(input.slice(i));
    if (!word) throw new UnsupportedFilterError(input);
    tokens.push({ kind: 'word', text: word[0], start: i, end: i + word[0].length });
    i += word[0].length;
  }
  return tokens;
}

export function parseFilter(input: string): Node {
  const tokens = tokenize(input);
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => {
    const t = tokens[pos++];
    if (!t) throw new UnsupportedFilterError(input);
    return t;
  };

  const expression = (): Node => {
    let left = term();
    while (peek()?.kind === 'word' && peek()?.text.toLowerCase() === 'or') {
      pos++;
      left = { op: 'or', left, right: term() };
    }
    return left;
  };
  const term = (): Node => {
    let left = factor();
    while (peek()?.kind === 'word' && peek()?.text.toLowerCase() === 'and') {
      pos++;
      left = { op: 'and', left, right: factor() };
    }
    return left;
  };
  const factor = (): Node => {
    if (peek()?.kind === 'lparen') {
      pos++;
      const inner = expression();
      if (next().kind !== 'rparen') throw new UnsupportedFilterError(input);
      return inner;
    }
    const field = next();
    const cmp = next();
    const value = next();
    const source = input.slice(field.start, value.end);
    if (field.kind !== 'word' || cmp.kind !== 'word' || !COMPARATORS.has(cmp.text.toLowerCase())) {
      throw new UnsupportedFilterError(source);
    }
    return {
      op: 'cmp',
      field: field.text,
      cmp: cmp.text.toLowerCase(),
      value: literal(value, source),
      source,
    };
  };

  const node = expression();
  if (pos !== tokens.length) throw new UnsupportedFilterError(input);
  return node;
}

function literal(token: Token, source: string): Value {
  if (token.kind === 'string') return { kind: 'string', text: token.text };
  if (token.kind === 'date') {
    const at = Date.parse(token.text);
    if (Number.isNaN(at)) throw new UnsupportedFilterError(source);
    return { kind: 'date', at, text: token.text };
  }
  if (token.kind === 'word' && /^-?\d+(\.\d+)?$/.test(token.text))
    return { kind: 'number', n: Number(token.text) };
  throw new UnsupportedFilterError(source);
}

/** Throws UnsupportedFilterError for comparisons the simulator (or Blip) will not run. */
export function checkFilter(node: Node): void {
  if (node.op !== 'cmp') {
    checkFilter(node.left);
    checkFilter(node.right);
    return;
  }
  if (
    node.field.toLowerCase() === 'status' &&
    node.value.kind === 'string' &&
    node.value.text.toLowerCase() === 'closed'
  ) {
    throw new UnsupportedFilterError(node.source);
  }
}

function fieldValue(ticket: JsonObject, field: string): unknown {
  const key = Object.keys(ticket).find((k) => k.toLowerCase() === field.toLowerCase());
  return key === undefined ? undefined : ticket[key];
}

function compare(a: number | string, b: number | string, cmp: string): boolean {
  switch (cmp) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'ge':
      return a >= b;
    case 'le':
      return a <= b;
    case 'gt':
      return a > b;
    default:
      return a < b;
  }
}

export function matchesFilter(node: Node, ticket: JsonObject): boolean {
  if (node.op !== 'cmp') {
    return node.op === 'and'
      ? matchesFilter(node.left, ticket) && matchesFilter(node.right, ticket)
      : matchesFilter(node.left, ticket) || matchesFilter(node.right, ticket);
  }
  const actual = fieldValue(ticket, node.field);
  if (actual === undefined || actual === null) return node.cmp === 'ne';
  switch (node.value.kind) {
    case 'date': {
      const at = typeof actual === 'string' ? Date.parse(actual) : Number.NaN;
      return !Number.isNaN(at) && compare(at, node.value.at, node.cmp);
    }
    case 'number':
      return typeof actual === 'number' && compare(actual, node.value.n, node.cmp);
    case 'string':
      // [S] case-insensitive, so the documented `status eq 'open'` matches the enum value Open.
      return compare(String(actual).toLowerCase(), node.value.text.toLowerCase(), node.cmp);
  }
}
