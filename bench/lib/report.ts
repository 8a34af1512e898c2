/** What a benchmark hands back: tables for the console and docs, plus raw figures for the JSON. */
export type Cell = string | number | null;

export interface Table {
  title: string;
  columns: string[];
  rows: Cell[][];
}

export interface BenchResult {
  name: string;
  tables: Table[];
  notes: string[];
  data: Record<string, unknown>;
}

export interface BenchContext {
  scale: 'small' | 'full';
  log: (line: string) => void;
}

function fmt(c: Cell): string {
  if (c === null || c === undefined) return '—';
  if (typeof c === 'number') {
    if (!Number.isFinite(c)) return '—';
    return Number.isInteger(c) ? String(c) : String(Math.round(c * 100) / 100);
  }
  return c;
}

/** A plain-text table; also valid GitHub markdown. */
export function renderTable(t: Table): string {
  const cells = t.rows.map((r) => r.map(fmt));
  const widths = t.columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((v, i) => v.padEnd(widths[i] as number)).join(' | ')} |`;
  return [
    `**${t.title}**`,
    '',
    line(t.columns),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...cells.map(line),
  ].join('\n');
}
