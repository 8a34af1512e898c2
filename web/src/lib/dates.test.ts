import { describe, expect, it } from 'vitest';
import { formDate, parseFormDate } from './dates';

describe('dates typed in the search form', () => {
  it('reads the day first, as pt-BR and es readers write it', () => {
    expect(parseFormDate('12/03/2025')).toBe('2025-03-12');
    expect(parseFormDate('1/3/2025')).toBe('2025-03-01');
    expect(parseFormDate('12.03.2025')).toBe('2025-03-12');
    expect(parseFormDate('12-03-25')).toBe('2025-03-12');
  });
  it('keeps accepting ISO dates (old links)', () => {
    expect(parseFormDate('2025-03-12')).toBe('2025-03-12');
  });
  it('refuses days that do not exist and other text', () => {
    expect(parseFormDate('31/02/2025')).toBeNull();
    expect(parseFormDate('13/13/2025')).toBeNull();
    expect(parseFormDate('ontem')).toBeNull();
    expect(parseFormDate('')).toBeNull();
  });
  it('shows ISO dates day first', () => {
    expect(formDate('2025-03-12')).toBe('12/03/2025');
    expect(formDate('12/03/2025')).toBe('12/03/2025');
  });
});
