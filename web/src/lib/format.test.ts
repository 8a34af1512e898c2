import { describe, expect, it } from 'vitest';
import { agentOf, dateTime, day, dayKey, person, size, time } from './format';

// vite.config.js runs the tests with TZ=UTC.
const at = '2025-03-12T14:05:09Z';

describe('dates', () => {
  it('shows date and time in the reader’s language order', () => {
    expect(dateTime('pt-BR', at)).toMatch(/12\/03\/2025.*14:05/);
    expect(dateTime('es', at)).toMatch(/12\/3\/25.*14:05/);
    expect(dateTime('en', at)).toMatch(/3\/12\/25.*2:05/);
  });

  it('shows a dash, not "Invalid Date", for a missing or broken date', () => {
    for (const value of [null, undefined, '', 'not a date']) {
      expect(dateTime('en', value)).toBe('—');
      expect(time('en', value)).toBe('');
      expect(day('en', value)).toBe('');
      expect(dayKey(value)).toBe('');
    }
  });

  it('shows seconds in message times, so messages of one minute can be told apart', () => {
    expect(time('pt-BR', at)).toBe('14:05:09');
  });

  it('names the day in full for the day separator', () => {
    expect(day('pt-BR', at)).toMatch(/quarta-feira.*12.*março.*2025/);
    expect(day('en', at)).toMatch(/Wednesday.*March 12.*2025/);
  });

  it('dayKey changes at midnight and only then', () => {
    expect(dayKey('2025-03-12T00:00:00Z')).toBe(dayKey('2025-03-12T23:59:59Z'));
    expect(dayKey('2025-03-12T23:59:59Z')).not.toBe(dayKey('2025-03-13T00:00:00Z'));
  });
});

describe('size', () => {
  it('uses binary units and the reader’s decimal separator', () => {
    expect(size(0, 'en')).toBe('0 B');
    expect(size(1023, 'en')).toBe('1,023 B');
    expect(size(1536, 'en')).toBe('1.5 KB');
    expect(size(1536, 'pt-BR')).toBe('1,5 KB');
    expect(size(5 * 1024 ** 3, 'en')).toBe('5 GB');
    expect(size(3 * 1024 ** 4, 'en')).toBe('3,072 GB');
  });

  it('shows nothing for an unknown size', () => {
    expect(size(null, 'en')).toBe('');
    expect(size(undefined, 'en')).toBe('');
    expect(size(Number.NaN, 'en')).toBe('');
  });
});

describe('person', () => {
  it('shows an agent’s Blip identity as the e-mail it encodes', () => {
    expect(person('maria.silva%40empresa.com@blip.ai')).toBe('maria.silva@empresa.com');
    expect(person('Joao%40Empresa.com@BLIP.AI')).toBe('Joao@Empresa.com');
  });

  it('shows a malformed encoding as it is instead of failing, but never %40', () => {
    expect(person('bad%E0%A4%A@blip.ai')).toBe('bad%E0%A4%A');
    expect(person('ana%40loja.com%E0%A4%A@blip.ai')).toBe('ana@loja.com%E0%A4%A');
  });

  it("names an agent message's author: its own, else the ticket's agent inside the ticket's window", () => {
    expect(agentOf('mariana.lopez%40lojaexemplo.com.mx@blip.ai', true, 'x%40y.z@blip.ai')).toBe(
      'mariana.lopez@lojaexemplo.com.mx',
    );
    expect(agentOf(null, true, 'carlos.lima%40lojaexemplo.com.br@blip.ai')).toBe(
      'carlos.lima@lojaexemplo.com.br',
    );
    expect(agentOf(null, false, 'carlos.lima%40lojaexemplo.com.br@blip.ai')).toBeNull();
    expect(agentOf(null, true, null)).toBeNull();
  });

  it('leaves other identities alone and shows a dash for none', () => {
    expect(person('5511987654321@wa.gw.msging.net')).toBe('5511987654321@wa.gw.msging.net');
    expect(person(null)).toBe('—');
    expect(person('')).toBe('—');
  });
});
