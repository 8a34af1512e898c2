import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSecretBox } from '../../lib/crypto';
import { sealLegacyExportTargets } from '../../lib/db/export-targets';
import { getExport } from '../../lib/db/exports';
import { MIGRATIONS_DIR, migrate } from '../../lib/db/migrate';
import { createPool, type Db } from '../../lib/db/pool';
import { identityFingerprint } from '../../lib/retention/erasure-hash';
import { createErasureRequest, readErasureIdentity } from '../../lib/retention/erasure-requests';
import { createTestDatabase } from '../../tools/harness/stack-env';

/**
 * Upgrading a database that already holds what migration 015 removes: contact exports naming the
 * contact in clear, erasure requests that kept the sealed contact after they finished.
 */

const box = createSecretBox(randomBytes(32));
const TENANT = 'loja-exemplo';
const contact = '5511988887777@wa.gw.msging.net';
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
let before015: string;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createPool(database.url, 2);
  before015 = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-migrations-'));
  for (const name of fs.readdirSync(MIGRATIONS_DIR).filter((n) => n.endsWith('.sql') && n < '015'))
    fs.copyFileSync(path.join(MIGRATIONS_DIR, name), path.join(before015, name));
  await migrate(db, { directory: before015 });
});
afterAll(async () => {
  await db?.end();
  await database?.drop();
  fs.rmSync(before015, { recursive: true, force: true });
});

test('contact exports and finished erasure requests written before 015 keep their use and lose the contact', async () => {
  // As 012–014 wrote them: a finished erasure (audit entry names its run), one still running, and
  // a done contact export with the identity in target.
  const finished = randomUUID();
  const running = randomUUID();
  for (const requestId of [finished, running])
    await db.query(
      `insert into erasure_requests (request_id, tenant_id, identity_sealed, requested_by) values ($1, $2, $3, 'dpo')`,
      [requestId, TENANT, Buffer.from(box.seal(contact, `erasure-request\n${TENANT}\n${requestId}`), 'utf8')],
    );
  const fingerprint = identityFingerprint(box, TENANT, contact);
  await db.query(
    `insert into audit_log (tenant_id, actor, action, target, details) values ($1, 'dpo', 'contact.erase', $2, $3::jsonb)`,
    [
      TENANT,
      `contact:${fingerprint}`,
      JSON.stringify({ workflowRun: `erase/${TENANT}/abcdef0123456789/${finished}/run-1`, tickets: 3 }),
    ],
  );
  const exportId = randomUUID();
  await db.query(
    `insert into exports (export_id, tenant_id, kind, target, requested_by, status, storage_key, sha256, pages)
     values ($1, $2, 'contact', $3, 'dpo', 'done', $4, 'ab', 2)`,
    [exportId, TENANT, contact, `${TENANT}/exports/${exportId}.pdf`],
  );

  await migrate(db);
  const { rows } = await db.query(
    'select request_id, identity_sealed is null as forgotten, contact_hash, completed_at, outcome from erasure_requests',
  );
  const byId = new Map(rows.map((r) => [r.request_id, r]));
  expect(byId.get(finished)).toMatchObject({
    forgotten: true,
    contact_hash: fingerprint,
    completed_at: expect.any(Date),
    outcome: expect.objectContaining({ tickets: 3 }),
  });
  expect(byId.get(running)).toMatchObject({ forgotten: false, completed_at: null });
  expect(await readErasureIdentity(db, box, TENANT, running)).toBe(contact);
  // A forgotten request asked again for the same contact is reopened; for another, refused.
  await createErasureRequest(db, box, {
    requestId: finished,
    tenantId: TENANT,
    identity: contact,
    requestedBy: 'dpo',
  });
  expect(await readErasureIdentity(db, box, TENANT, finished)).toBe(contact);

  // The keyed half of 015, run by every process right after migrating.
  expect(await sealLegacyExportTargets(db, box)).toBe(1);
  const record = await getExport(db, exportId, TENANT);
  expect(record).toMatchObject({
    target: fingerprint,
    status: 'done',
    storageKey: `${TENANT}/exports/${exportId}.pdf`,
  });
  const dump = await db.query(
    'select to_jsonb(e)::text as row, convert_from(target_sealed, $2) as sealed from exports e where export_id = $1',
    [exportId, 'UTF8'],
  );
  expect(JSON.stringify(dump.rows)).not.toContain('5511988887777');
});
