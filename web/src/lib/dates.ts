/**
 * Dates as people type them in the search form. The form uses text fields with the day first
 * (dd/mm/aaaa in pt-BR and es, dd/mm/yyyy in English), because `<input type="date">` follows the
 * browser's language, not the page's, and so shows mm/dd/yyyy on an English browser inside a
 * pt-BR portal. ISO dates (2025-03-12) are accepted too, so old links keep working.
 */

/** dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy, dd/mm/yy or yyyy-mm-dd → yyyy-mm-dd; null if not a real day. */
export function parseFormDate(value: string): string | null {
  const v = value.trim();
  let y: number;
  let m: number;
  let d: number;
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(v);
  const dmy = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$/.exec(v);
  if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (dmy) {
    [d, m, y] = [Number(dmy[1]), Number(dmy[2]), Number(dmy[3])];
    if (y < 100) y += 2000;
  } else return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** yyyy-mm-dd → dd/mm/yyyy, for showing a date the form accepted. Other text is returned as it is. */
export function formDate(value: string): string {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  return iso ? `${iso[3]}/${iso[2]}/${iso[1]}` : value;
}
