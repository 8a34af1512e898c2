import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import puppeteer from 'puppeteer-core';
import { createPool } from '../../lib/db/pool';
import { createSearchClient } from '../../lib/search/client';
import { createGcsStore, createStorageClient } from '../../lib/storage/gcs-store';
import { createTestDatabase, stackEnv, uniqueSuffix } from '../../tools/harness/stack-env';
import { chromeArgs } from '../support/chromium';

/** Each real service of the local stack answers the way the product will use it. */

const env = stackEnv();

test('Temporal dev server runs a workflow and its activity, with our search attributes registered', async () => {
  const taskQueue = `stack-test-${uniqueSuffix()}`;
  const nativeConnection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../support/workflows/echo'),
    activities: { shout: async (t: string) => t.toUpperCase() },
  });
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  const client = new Client({ connection });
  try {
    const result = await worker.runUntil(
      client.workflow.execute('echoWorkflow', {
        taskQueue,
        workflowId: `echo-${uniqueSuffix()}`,
        args: ['olá'],
      }),
    );
    expect(result).toBe('echo: OLÁ');
    const attrs = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(Object.keys(attrs.customAttributes ?? {})).toEqual(
      expect.arrayContaining(['TenantId', 'TicketId']),
    );
  } finally {
    await connection.close();
    await nativeConnection.close();
  }
});

test('Postgres round trip keeps text and jsonb exactly', async () => {
  const db = await createTestDatabase();
  const pool = createPool(db.url);
  try {
    await pool.query('create table t (id int primary key, body jsonb not null, name text)');
    const body = { text: 'مرحبا 👋 João', n: [1, 2] };
    await pool.query('insert into t values ($1, $2, $3)', [1, body, 'Ñandú']);
    const { rows } = await pool.query('select body, name from t where id = 1');
    expect(rows[0]).toEqual({ body, name: 'Ñandú' });
  } finally {
    await pool.end();
    await db.drop();
  }
});

test('Typesense creates a collection, indexes a document and finds it accent-insensitively', async () => {
  const search = createSearchClient(env.TYPESENSE_URL as string, env.TYPESENSE_API_KEY as string);
  const name = `stack_test_${uniqueSuffix()}`;
  await search.collections().create({
    name,
    fields: [
      { name: 'name', type: 'string' },
      { name: 'closed_at', type: 'int64' },
    ],
    default_sorting_field: 'closed_at',
  });
  try {
    await search.collections(name).documents().create({ id: '1', name: 'João Pereira', closed_at: 1 });
    const res = await search.collections(name).documents().search({ q: 'joao', query_by: 'name' });
    expect(res.found).toBe(1);
    expect((res.hits?.[0]?.document as { name?: string } | undefined)?.name).toBe('João Pereira');
  } finally {
    await search.collections(name).delete();
  }
});

test('the GCS emulator stores and returns an object through @google-cloud/storage', async () => {
  const opts = {
    bucket: `stack-test-${uniqueSuffix().replace(/_/g, '-')}`,
    projectId: 'tv-test',
    emulatorHost: env.STORAGE_EMULATOR_HOST,
  };
  const store = createGcsStore(createStorageClient(opts), opts);
  await store.ensureReady();
  const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
  await store.put('tenant/media/abc', Readable.from([bytes]), {
    contentType: 'image/png',
    metadata: { sha256: 'x' },
  });
  const head = await store.head('tenant/media/abc');
  expect(head).toMatchObject({ contentType: 'image/png', size: bytes.length, metadata: { sha256: 'x' } });
  const chunks: Buffer[] = [];
  for await (const c of store.get('tenant/media/abc')) chunks.push(c as Buffer);
  expect(createHash('sha256').update(Buffer.concat(chunks)).digest('hex')).toBe(
    createHash('sha256').update(bytes).digest('hex'),
  );
  expect(await store.head('tenant/media/missing')).toBeNull();
});

test('Chromium renders a one-page PDF whose text pdftotext reads back', async () => {
  const browser = await puppeteer.launch({
    executablePath: env.CHROMIUM_PATH,
    args: chromeArgs(),
    headless: true,
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-pdf-'));
  try {
    const page = await browser.newPage();
    await page.setContent(
      '<html><body style="font-family: sans-serif"><h1>Atendimento nº 1042</h1><p>Así llegó — مرحبا</p></body></html>',
    );
    const file = path.join(dir, 'one.pdf');
    fs.writeFileSync(file, await page.pdf({ format: 'A4' }));
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
    expect(text).toContain('Atendimento nº 1042');
    expect(text).toContain('Así llegó');
    expect(execFileSync('pdfinfo', [file], { encoding: 'utf8' })).toMatch(/Pages:\s+1\b/);
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
