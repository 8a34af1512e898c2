import { Readable } from 'node:stream';
import { placeHold, releaseHold } from '../../cli/commands/hold';
import { sealObjectKey, sealsOfTicket } from '../../lib/db/seals';
import type { ObjectStore } from '../../lib/storage/object-store';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';

/**
 * Legal holds mirrored into the bucket (issue 14, WORM): placing a hold puts a GCS temporary hold
 * on the held tickets' media and sealed copies; releasing one lifts it only from objects no other
 * active hold covers. The store is the real GCS client against the emulator, wrapped only to record
 * which holds were set (the emulator accepts holds but does not enforce them: last test).
 */

let env: ArchiveEnv;
const LATAM = 'atendimentolatam';
const TICKET = '1d91807c-ee64-51bd-9310-963620a44bca'; // has stored media

beforeAll(async () => {
  env = await startArchiveEnv();
  const answer = await env.webhook(TICKET, botAuthorization(LATAM));
  await env.result(answer.body.workflowId as string);
}, 600_000);
afterAll(async () => {
  await env?.close();
});

function recording(store: ObjectStore) {
  const held = new Map<string, boolean>();
  const setTemporaryHold = store.setTemporaryHold?.bind(store);
  if (!setTemporaryHold) throw new Error('the GCS store has object holds');
  const wrapped: ObjectStore = Object.assign(Object.create(store), {
    async setTemporaryHold(key: string, hold: boolean) {
      await setTemporaryHold(key, hold);
      held.set(key, hold);
    },
  });
  return { store: wrapped, held };
}

test('a legal hold puts storage holds on the media and sealed copies; release lifts them only when no other hold covers them', async () => {
  const { rows: media } = await env.db.query<{ storage_key: string }>(
    'select storage_key from media where tenant_id = $1 and ticket_id = $2 and storage_key is not null',
    [LATAM, TICKET],
  );
  expect(media.length).toBeGreaterThan(0);
  const seals = await sealsOfTicket(env.db, LATAM, TICKET);
  const expected = [
    ...new Set([
      ...media.map((m) => m.storage_key),
      ...seals.map((s) => sealObjectKey(LATAM, TICKET, s.sealId)),
    ]),
  ].sort();
  const { rows } = await env.db.query<{ contact_identity: string }>(
    'select coalesce(contact_identity, customer_identity) as contact_identity from tickets where tenant_id = $1 and ticket_id = $2',
    [LATAM, TICKET],
  );
  const contact = rows[0]?.contact_identity as string;

  const { store, held } = recording(env.store);
  const ctx = { db: env.db, box: env.box, store };
  const onTicket = await placeHold(ctx, {
    tenantId: LATAM,
    kind: 'ticket',
    target: TICKET,
    reason: 'processo 123',
    createdBy: 'juridico',
  });
  expect(onTicket.objectHolds).toEqual({ supported: true, objects: expected.length });
  expect([...held.keys()].sort()).toEqual(expected);
  expect([...held.values()].every(Boolean)).toBe(true);
  await placeHold(ctx, {
    tenantId: LATAM,
    kind: 'contact',
    target: contact,
    reason: 'processo 456',
    createdBy: 'juridico',
  });

  // The contact hold still covers the ticket: nothing is lifted.
  held.clear();
  const first = await releaseHold(ctx, {
    tenantId: LATAM,
    kind: 'ticket',
    target: TICKET,
    releasedBy: 'juridico',
  });
  expect(first).toMatchObject({ released: true, objectHolds: { supported: true, objects: 0 } });
  expect(held.size).toBe(0);

  const last = await releaseHold(ctx, {
    tenantId: LATAM,
    kind: 'contact',
    target: contact,
    releasedBy: 'juridico',
  });
  expect(last.objectHolds).toEqual({ supported: true, objects: expected.length });
  expect([...held.keys()].sort()).toEqual(expected);
  expect([...held.values()].some(Boolean)).toBe(false);
});

test('the local emulator accepts an object hold but does not enforce it (only real GCS does: docs/deploy.md)', async () => {
  const key = `${LATAM}/worm-probe/object.txt`;
  await env.store.put(key, Readable.from([Buffer.from('held')]), { contentType: 'text/plain' });
  await env.store.setTemporaryHold?.(key, true);
  await env.store.delete(key);
  expect(await env.store.head(key)).toBeNull();
});
