import { randomUUID } from 'node:crypto';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import { waitFor } from '../../tools/harness/wait';
import { type DedicatedTypesense, startDedicatedTypesense } from '../support/dedicated-typesense';

/**
 * Typesense is derived data (docs/architecture.md rule 5): while it is down, a ticket is still archived in
 * Postgres, and indexing completes once it is back. This file stops and restarts a Typesense of
 * its own (test/support/dedicated-typesense.ts), never the stack's shared one.
 */

let dedicated: DedicatedTypesense;
let typesense: DedicatedTypesense['service'];
let env: ArchiveEnv;

beforeAll(async () => {
  dedicated = await startDedicatedTypesense();
  typesense = dedicated.service;
  // TYPESENSE_NODES cleared: with the stack's cluster running it would take precedence over the URL.
  env = await startArchiveEnv({ env: { TYPESENSE_URL: dedicated.url, TYPESENSE_NODES: '' } });
});
afterAll(async () => {
  if (!(await typesense.healthy())) await typesense.start();
  await env?.close();
  await dedicated?.close();
});

test('a ticket archived while Typesense is down is safe in Postgres and indexed when it returns', async () => {
  const id = randomUUID();
  const customer = '5511955554444@wa.gw.msging.net';
  env.sim.addTicket({
    ticket: {
      id,
      sequentialId: 7001,
      ownerIdentity: 'atendimentolatam@msging.net',
      customerIdentity: customer,
      status: 'ClosedAttendant',
      closed: true,
      storageDate: '2025-07-01T09:00:00.000Z',
      closeDate: '2025-07-01T09:30:00.000Z',
    },
    contact: { identity: customer, name: 'Durante Queda', phoneNumber: '+5511955554444' },
    messages: Array.from({ length: 12 }, (_, i) => ({
      id: `outage-${id}-${i}`,
      direction: 'received',
      type: 'text/plain',
      content: `queda ${i}`,
      date: `2025-07-01T09:0${Math.floor(i / 6)}:${String(10 + i).padStart(2, '0')}.000Z`,
    })),
  });

  await typesense.stop();
  expect(await typesense.healthy()).toBe(false);

  const answer = await env.webhook(id, botAuthorization('atendimentolatam'));
  expect(answer.statusCode).toBe(202);
  const workflowId = answer.body.workflowId as string;

  const sealed = await waitFor(
    'the ticket to be sealed in Postgres',
    60_000,
    async () => {
      const { rows } = await env.db.query(
        'select message_count, digest, indexed_at from tickets where ticket_id = $1 and archived_at is not null',
        [id],
      );
      return rows[0];
    },
    250,
  );
  expect(sealed.message_count).toBe(12);
  expect(sealed.digest).toMatch(/^[0-9a-f]{64}$/);
  expect(sealed.indexed_at).toBeNull();
  expect((await env.temporal.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');

  await typesense.start();
  const result = await env.result(workflowId);
  expect(result.digest).toBe(sealed.digest);

  const { rows } = await env.db.query('select indexed_at from tickets where ticket_id = $1', [id]);
  expect(rows[0].indexed_at).toBeInstanceOf(Date);
  const found = await env.search
    .collections(env.collections.messages)
    .documents()
    .search({ q: 'queda', query_by: 'text', filter_by: `ticket_id:=${id}`, per_page: 1 });
  expect(found.found).toBe(12);
});

test('documents indexed just before a Typesense restart are still there after it', async () => {
  const id = randomUUID();
  const customer = '5511966665555@wa.gw.msging.net';
  env.sim.addTicket({
    ticket: {
      id,
      ownerIdentity: 'atendimentolatam@msging.net',
      customerIdentity: customer,
      status: 'ClosedAttendant',
      closed: true,
      storageDate: '2025-07-02T09:00:00.000Z',
      closeDate: '2025-07-02T09:30:00.000Z',
    },
    messages: Array.from({ length: 5 }, (_, i) => ({
      id: `restart-${id}-${i}`,
      direction: 'received',
      type: 'text/plain',
      content: `reinicio ${i}`,
      date: `2025-07-02T09:0${i}:00.000Z`,
    })),
  });
  const answer = await env.webhook(id, botAuthorization('atendimentolatam'));
  await env.result(answer.body.workflowId as string);
  // Typesense 0.24 loses writes addressed to an alias when it restarts soon after: ours resolve it.
  await typesense.stop();
  await typesense.start();
  const found = await env.search
    .collections(env.collections.messages)
    .documents()
    .search({ q: '*', query_by: 'text', filter_by: `ticket_id:=${id}`, per_page: 0 });
  expect(found.found).toBe(5);
});
