import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MissingBinaryError, probeVersion, resolveBinary } from '../../infra/binaries';

const spec = (overrides: Partial<Parameters<typeof resolveBinary>[0]> = {}) => ({
  service: 'typesense',
  envVar: 'TYPESENSE_BIN',
  envValue: undefined,
  pathNames: ['typesense-server-that-does-not-exist'],
  fallbacks: ['/nonexistent/.stack/bin/typesense-server'],
  fix: 'run `npm run stack -- provision`',
  ...overrides,
});

test('a missing binary is one line naming the service, where it looked and how to fix it', () => {
  let message = '';
  try {
    resolveBinary(spec());
  } catch (err) {
    expect(err).toBeInstanceOf(MissingBinaryError);
    message = (err as Error).message;
  }
  expect(message.split('\n')).toHaveLength(1);
  expect(message).toMatch(/^typesense: binary not found/);
  expect(message).toContain('$TYPESENSE_BIN');
  expect(message).toContain('typesense-server-that-does-not-exist');
  expect(message).toContain('/nonexistent/.stack/bin/typesense-server');
  expect(message).toContain('npm run stack -- provision');
});

test('an explicit path wins, and a wrong explicit path is refused by name', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-bin-'));
  const bin = path.join(dir, 'typesense-server');
  fs.writeFileSync(bin, '#!/bin/sh\necho "Typesense 9.9"\n', { mode: 0o755 });
  expect(resolveBinary(spec({ envValue: bin }))).toEqual({ path: bin, source: 'env' });
  expect(() => resolveBinary(spec({ envValue: path.join(dir, 'nope') }))).toThrow(
    /TYPESENSE_BIN=.*nope is not an executable/,
  );
  fs.rmSync(dir, { recursive: true });
});

test('a broken binary is reported by service with the fix', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-bin-'));
  const bin = path.join(dir, 'temporal');
  fs.writeFileSync(bin, '#!/bin/sh\nexit 3\n', { mode: 0o755 });
  expect(() => probeVersion('temporal', bin, ['--version'])).toThrow(/^temporal: .* is broken .*provision/);
  fs.rmSync(dir, { recursive: true });
});
