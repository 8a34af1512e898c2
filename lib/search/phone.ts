/**
 * Phone numbers are typed every which way (`+55 (11) 98765-4321`, `11987654321`, `98765-4321`).
 * We index every trailing run of 8 or more digits of the stored number, and a query matches when
 * its own digits equal one of them: the country code, area code and formatting become optional.
 */
export const MIN_PHONE_DIGITS = 8;

export function phoneDigits(input: string): string {
  return input.replace(/\D+/g, '');
}

/** Every digit suffix of at least MIN_PHONE_DIGITS digits, longest first; empty when too short. */
export function phoneVariants(phone: string | null | undefined): string[] {
  const digits = phoneDigits(phone ?? '');
  const variants: string[] = [];
  for (let start = 0; digits.length - start >= MIN_PHONE_DIGITS; start++) variants.push(digits.slice(start));
  return variants;
}

/** The number in a WhatsApp-style identity (`5511987654321@wa.gw.msging.net`), if it has one. */
export function phoneFromIdentity(identity: string | null | undefined): string | null {
  const local = (identity ?? '').split('@')[0] ?? '';
  return /^\+?\d{8,15}$/.test(local) ? local : null;
}
