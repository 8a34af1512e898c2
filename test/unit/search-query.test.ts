import { createHash } from 'node:crypto';
import { tenantArg, UsageError } from '../../cli/commands/common';
import { phoneFromIdentity, phoneVariants } from '../../lib/search/phone';
import { parseDateBound, SearchQueryError, ticketFilter } from '../../lib/search/query';
import { facetsOf, missingLateField } from '../../lib/search/search-extras';
import { isMissingTenantKey, tenantFilter, tenantKey } from '../../lib/search/tenant-scope';
import { normaliseTenantId } from '../../lib/tenant-id';

const base = { page: 1, perPage: 20 };

describe('phone variants', () => {
  test('every trailing run of 8+ digits, so any common formatting finds the number', () => {
    const variants = phoneVariants('+55 (11) 98765-4321');
    for (const typed of ['+55 (11) 98765-4321', '5511987654321', '11987654321', '98765-4321', '87654321']) {
      expect(variants).toContain(typed.replace(/\D/g, ''));
    }
    expect(variants).not.toContain('7654321');
  });
  test('no number, no variants', () => {
    expect(phoneVariants(null)).toEqual([]);
    expect(phoneVariants('call me')).toEqual([]);
  });
  test('the number inside a WhatsApp identity', () => {
    expect(phoneFromIdentity('5511987654321@wa.gw.msging.net')).toBe('5511987654321');
    expect(phoneFromIdentity('9e1c7f3a-1111-2222-3333-444455556666@tunnel.msging.net')).toBeNull();
  });
});

describe('ticket search filters', () => {
  test('the tenant filter always comes first, on the hex sha-256 of the tenant id', () => {
    expect(ticketFilter('atendimentolatam', base).filters).toEqual([
      `tenant_key:=${createHash('sha256').update('atendimentolatam').digest('hex')}`,
    ]);
    expect(ticketFilter('atendimentolatam', base, 'legacy').filters).toEqual([
      'tenant_id:=`atendimentolatam`',
    ]);
  });

  test('phone is reduced to digits; too short is a clear error', () => {
    expect(ticketFilter('t1', { ...base, phone: '+55 (11) 98765-4321' }).filters).toContain(
      'phones:=[5511987654321,551187654321]',
    );
    expect(() => ticketFilter('t1', { ...base, phone: '123' })).toThrow(/at least 8 digits/);
  });

  test.each([
    ['+55 (11) 98765-4321 (with the 9th digit)', '+55 (11) 98765-4321', '551187654321'],
    ['55 11 8765-4321 (without it)', '55 11 8765-4321', '5511987654321'],
    ['(11) 8765-4321 (area code, no 9th digit)', '(11) 8765-4321', '11987654321'],
    ['+52 1 55 1234 5678 (Mexico, old mobile prefix)', '+52 1 55 1234 5678', '525512345678'],
    ['+52 55 1234 5678 (Mexico, without it)', '+52 55 1234 5678', '5215512345678'],
    ['+54 9 11 2345 6789 (Argentina mobile)', '+54 9 11 2345 6789', '541123456789'],
    ['+54 11 2345 6789 (Argentina, without the 9)', '+54 11 2345 6789', '5491123456789'],
  ])('phone %s also matches the other national shape', (_what, typed, other) => {
    const filter = ticketFilter('t1', { ...base, phone: typed }).filters.find((f) =>
      f.startsWith('phones:='),
    );
    expect(filter).toContain(other);
  });

  test('the last four digits are enough only with a date range or a name', () => {
    expect(() => ticketFilter('t1', { ...base, phone: '4321' })).toThrow(/at least 8 digits/);
    expect(ticketFilter('t1', { ...base, phone: '4321', from: '2025-03-01' }).filters).toContain(
      'phones:=tail4321',
    );
    expect(ticketFilter('t1', { ...base, phone: '…4321', name: 'Ana' }).filters).toContain(
      'phones:=tail4321',
    );
    expect(() => ticketFilter('t1', { ...base, phone: '321', name: 'Ana' })).toThrow(/at least 8 digits/);
  });

  test("a bare day is that whole day in the tenant's time zone", () => {
    const zone = 'America/Sao_Paulo'; // UTC-3 in March 2025 (no daylight saving since 2019)
    expect(parseDateBound('from', '2025-03-12', zone)).toBe(Date.parse('2025-03-12T03:00:00Z') / 1000);
    expect(parseDateBound('to', '2025-03-12', zone)).toBe(Date.parse('2025-03-13T02:59:59Z') / 1000);
    expect(parseDateBound('from', '2025-03-12', 'America/Mexico_City')).toBe(
      Date.parse('2025-03-12T06:00:00Z') / 1000,
    );
    // A day that starts at a daylight-saving change (New York, 2025-03-09 is 23 hours long).
    expect(parseDateBound('from', '2025-03-09', 'America/New_York')).toBe(
      Date.parse('2025-03-09T05:00:00Z') / 1000,
    );
    expect(parseDateBound('to', '2025-03-09', 'America/New_York')).toBe(
      Date.parse('2025-03-10T03:59:59Z') / 1000,
    );
    expect(parseDateBound('from', '2025-03-12')).toBe(Date.parse('2025-03-12T00:00:00Z') / 1000);
  });

  test('facet filters take a picked value as a quoted literal and refuse filter syntax', () => {
    expect(ticketFilter('t1', { ...base, channel: 'WhatsApp', team: 'Suporte N1' }).filters).toEqual(
      expect.arrayContaining(['channel:=`WhatsApp`', 'team:=`Suporte N1`']),
    );
    expect(() => ticketFilter('t1', { ...base, agent: 'x` || tenant_key:=`other' })).toThrow(/not a value/);
  });

  test('a picked tag filters the tags array and a status the status field, both as literals', () => {
    expect(ticketFilter('t1', { ...base, tag: `<b>tag</b>"'`, status: 'ClosedClient' }).filters).toEqual(
      expect.arrayContaining(['tags:=`<b>tag</b>"\'`', 'status:=`ClosedClient`']),
    );
    expect(() => ticketFilter('t1', { ...base, tag: 'x` || tenant_key:=`other' })).toThrow(
      /tag is not a value/,
    );
  });

  test("Typesense's tags counts come back as `tag`, and a missing late field is recognised", () => {
    const facets = facetsOf([
      { field_name: 'tags', counts: [{ value: 'Resolvido', count: 2 }] },
      { field_name: 'status', counts: [{ value: 'ClosedClient', count: 1 }] },
      { field_name: 'tenant_id', counts: [{ value: 'other', count: 9 }] },
    ]);
    expect(facets).toEqual({
      channel: [],
      agent: [],
      team: [],
      tag: [{ value: 'Resolvido', count: 2 }],
      status: [{ value: 'ClosedClient', count: 1 }],
    });
    expect(missingLateField('Could not find a facet field named `tags` in the schema.')).toBe(true);
    expect(missingLateField('Could not find a filter field named `status` in the schema.')).toBe(true);
    expect(missingLateField('Could not find a filter field named `media_kinds` in the schema.')).toBe(false);
  });

  test('ticket takes the id or the sequential number', () => {
    expect(ticketFilter('t1', { ...base, ticket: 'B598352E-77F5-546C-A017-5EC108ED50BA' }).filters).toContain(
      'ticket_id:=b598352e-77f5-546c-a017-5ec108ed50ba',
    );
    expect(ticketFilter('t1', { ...base, ticket: '#1042' }).filters).toContain('sequential_id:=1042');
  });

  test.each([
    ['tenant_id:!=x'],
    ['1042 || tenant_id:=other'],
    ['`x` && tenant_id:=other'],
    ['../../etc/passwd'],
  ])('an injection attempt in ticket (%s) is refused, never put in the filter', (ticket) => {
    expect(() => ticketFilter('t1', { ...base, ticket })).toThrow(SearchQueryError);
  });

  test('names stay out of the filter (they are the query text)', () => {
    const f = ticketFilter('t1', { ...base, name: ' João && tenant_id:=other ' });
    expect(f.filters).toEqual([tenantFilter('t1')]);
    expect(f.nameQuery).toBe('João && tenant_id:=other');
  });

  test('dates: a bare day covers the whole day; bad or reversed ranges are errors', () => {
    expect(parseDateBound('from', '2025-03-12')).toBe(Date.parse('2025-03-12T00:00:00Z') / 1000);
    expect(parseDateBound('to', '2025-03-12')).toBe(Date.parse('2025-03-12T23:59:59Z') / 1000);
    expect(parseDateBound('from', '2025-03-12T16:54:56Z')).toBe(Date.parse('2025-03-12T16:54:56Z') / 1000);
    expect(() => parseDateBound('from', '12/03/2025')).toThrow(/from must be a date/);
    expect(() => parseDateBound('to', '2025-02-30')).toThrow(/not a real date/);
    expect(() => parseDateBound('to', '2025-13-45')).toThrow(/not a real date/);
    expect(() => ticketFilter('t1', { ...base, from: '2025-03-13', to: '2025-03-12' })).toThrow(
      /from is after to/,
    );
  });

  test('an invalid tenant id is refused', () => {
    expect(() => ticketFilter('x && y', base)).toThrow(SearchQueryError);
    expect(() => ticketFilter('Acme', base)).toThrow(SearchQueryError);
    expect(() => tenantFilter('a`b', 'legacy')).toThrow(TypeError);
  });
});

describe('tenant ids and their search key', () => {
  const lookAlikes = ['acme-bot', 'acmebot', 'acme.bot', 'acme_bot'];

  test('look-alike bot ids get distinct keys of one hex token each', () => {
    const keys = lookAlikes.map(tenantKey);
    expect(new Set(keys).size).toBe(lookAlikes.length);
    for (const k of keys) expect(k).toMatch(/^[0-9a-f]{64}$/);
  });

  test('every identifier Blip allows is a tenant id once trimmed and lower-cased', () => {
    expect(normaliseTenantId('  Loja.Exemplo ')).toBe('loja.exemplo');
    for (const id of [...lookAlikes, 'a', '0', `a${'-'.repeat(126)}z`, 'x_y.z-1']) {
      expect(normaliseTenantId(id)).toBe(id);
      expect(() => ticketFilter(id, base)).not.toThrow();
    }
  });

  test.each([
    [''],
    ['-acme'],
    ['acme-'],
    ['acme bot'],
    ['acme/bot'],
    ['ação'],
    [`a${'b'.repeat(128)}`],
    ['a`b'],
  ])('not a bot identifier (%j): refused, naming the rule', (id) => {
    expect(() => normaliseTenantId(id)).toThrow(/not a Blip bot identifier/);
  });

  test('the CLI names tenants the way the webhook stores them', () => {
    expect(tenantArg(' Loja.Exemplo ')).toBe('loja.exemplo');
    expect(tenantArg('loja_exemplo')).toBe('loja_exemplo');
    expect(() => tenantArg('loja exemplo')).toThrow(UsageError);
  });

  test('a collection without tenant_key is recognised from the error Typesense gives', () => {
    const message = 'Could not find a filter field named `tenant_key` in the schema.';
    expect(
      isMissingTenantKey({
        httpStatus: 404,
        message: `Request failed with HTTP code 404 | Server said: ${message}`,
      }),
    ).toBe(true);
    expect(isMissingTenantKey({ code: 404, error: message })).toBe(true);
    expect(isMissingTenantKey({ httpStatus: 404, message: 'Not Found' })).toBe(false);
    expect(isMissingTenantKey({ httpStatus: 400, message })).toBe(false);
  });
});
