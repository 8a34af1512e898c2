import { WorkflowFailedError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { retentionWorkflowId } from '../../lib/temporal/contract';
import type {
  ApplyRetentionAllResult,
  ApplyRetentionInput,
  EraseContactResult,
  RetentionTotals,
} from '../../workflows/retention';
import { type FakeTicket, fakeRetention } from '../support/fake-activities';
import { startWorkflowTestEnv, type WorkflowTestEnv } from '../support/workflow-env';

/**
 * applyRetention, applyRetentionAll and eraseContact on the time-skipping test server with
 * in-memory activities: what is deleted, in which order, what a hold keeps, and how a run
 * longer than one history continues as new without moving its cutoff.
 */
let wf: WorkflowTestEnv;
beforeAll(async () => {
  wf = await startWorkflowTestEnv();
});
afterAll(async () => {
  await wf?.close();
});

const tickets = (n: number, make: (i: number) => Partial<FakeTicket>, prefix = 't'): FakeTicket[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${String(i).padStart(5, '0')}`,
    tenantId: 'tenant-a',
    contact: 'someone@example.test',
    closedDaysAgo: 400,
    ...make(i),
  }));

describe('applyRetention', () => {
  test('deletes only expired, unheld tickets of its tenant, in batches, and reports the held ones', async () => {
    const store = [
      ...tickets(150, () => ({})),
      ...tickets(3, () => ({ held: true }), 'held'),
      ...tickets(4, () => ({ closedDaysAgo: 10 }), 'recent'),
      ...tickets(5, () => ({ tenantId: 'tenant-b' }), 'other'),
    ];
    const fake = fakeRetention({ tickets: store, retentionDays: { 'tenant-a': 365, 'tenant-b': 30 } });
    const totals = await wf.run(fake.activities, (taskQueue) =>
      wf.client.workflow.execute('applyRetention', {
        taskQueue,
        workflowId: retentionWorkflowId('tenant-a'),
        args: [{ tenantId: 'tenant-a' } satisfies ApplyRetentionInput],
      }),
    );
    expect(totals).toEqual({
      tickets: 150,
      messages: 300,
      media: 150,
      objects: 150,
      exports: 0,
      held: 3,
      batches: 2,
    } satisfies RetentionTotals);
    expect([...fake.deleted].sort()).toEqual(store.slice(0, 150).map((t) => t.id));
    expect(fake.batches.map((b) => b.limit)).toEqual([100, 100]);
    expect(new Set(fake.batches.map((b) => b.workflowId))).toEqual(
      new Set([retentionWorkflowId('tenant-a')]),
    );
  }, 60_000);

  test('a run longer than one history continues as new with the same cutoff and the totals so far', async () => {
    // 200 full batches fill one run; the 201st batch is the next run's first.
    const store = tickets(200 * 100 + 30, () => ({}));
    const fake = fakeRetention({ tickets: store, retentionDays: { 'tenant-a': 365 } });
    const workflowId = retentionWorkflowId('tenant-a');
    const { totals, carried } = await wf.run(fake.activities, async (taskQueue) => {
      const handle = await wf.client.workflow.start('applyRetention', {
        taskQueue,
        workflowId,
        args: [{ tenantId: 'tenant-a' } satisfies ApplyRetentionInput],
      });
      const totals = (await handle.result()) as RetentionTotals;
      const first = await wf.client.workflow.getHandle(workflowId, handle.firstExecutionRunId).fetchHistory();
      const can = first.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes;
      const carried = defaultPayloadConverter.fromPayload<ApplyRetentionInput>(
        can?.input?.payloads?.[0] ?? {},
      );
      return { totals, carried };
    });
    expect(carried.totals).toMatchObject({ tickets: 20_000, batches: 200 });
    expect(totals).toMatchObject({ tickets: 20_030, batches: 201, held: 0 });
    expect(fake.deleted.size).toBe(20_030);
    // The cutoff was fixed by the first run and never moved.
    expect(carried.now).toBeDefined();
    expect(new Set(fake.batches.map((b) => b.now))).toEqual(new Set([carried.now]));
  }, 120_000);
});

describe('applyRetentionAll', () => {
  test('one child per tenant with a retention; a tenant whose run is already going is left alone', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const store = [
      ...tickets(3, () => ({})),
      ...tickets(2, () => ({ tenantId: 'tenant-b' }), 'b'),
      ...tickets(2, () => ({ tenantId: 'tenant-c' }), 'c'),
    ];
    const fake = fakeRetention({
      tickets: store,
      retentionDays: { 'tenant-a': 30, 'tenant-b': 30, 'tenant-c': 30 },
      gate: new Map([['tenant-b', gate]]),
    });
    const result = await wf.run(fake.activities, async (taskQueue) => {
      // Started by hand before the schedule fired.
      const byHand = await wf.client.workflow.start('applyRetention', {
        taskQueue,
        workflowId: retentionWorkflowId('tenant-b'),
        args: [{ tenantId: 'tenant-b' }],
      });
      const result = (await wf.client.workflow.execute('applyRetentionAll', {
        taskQueue,
        workflowId: retentionWorkflowId(),
        args: [],
      })) as ApplyRetentionAllResult;
      release();
      await byHand.result();
      return result;
    });
    expect(result).toEqual({
      tenants: ['tenant-a', 'tenant-b', 'tenant-c'],
      alreadyRunning: ['tenant-b'],
      recentTrimmed: 0,
    });
    expect(fake.deleted.size).toBe(7);
    // tenant-b purged once, by the run started by hand.
    expect(fake.batches.filter((b) => b.tenantId === 'tenant-b')).toHaveLength(1);
  }, 60_000);

  test('a tenant run that fails makes the whole run fail, naming how many, after the others finished', async () => {
    const store = [...tickets(2, () => ({})), ...tickets(2, () => ({ tenantId: 'tenant-b' }), 'b')];
    const fake = fakeRetention({
      tickets: store,
      retentionDays: { 'tenant-a': 30, 'tenant-b': 30 },
      failingTenants: new Set(['tenant-b']),
    });
    const failure = await wf.run(fake.activities, (taskQueue) =>
      wf.client.workflow
        .execute('applyRetentionAll', { taskQueue, workflowId: retentionWorkflowId(), args: [] })
        .then(
          () => null,
          (err: unknown) => err,
        ),
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toMatchObject({
      type: 'RetentionFailed',
      message: '1 of 2 tenant retention runs failed',
    });
    expect([...fake.deleted].sort()).toEqual(['t00000', 't00001']);
  }, 60_000);
});

describe('eraseContact', () => {
  const erase = (taskQueue: string, identity: string, id: string) =>
    wf.client.workflow.execute('eraseContact', {
      taskQueue,
      workflowId: `erase/tenant-a/${id}`,
      args: [{ tenantId: 'tenant-a', identity, requestedBy: 'dpo@example.test' }],
    }) as Promise<EraseContactResult>;

  test('erases every unheld ticket of the contact, refuses held ones, and only then its exports and audit', async () => {
    const store = [
      ...tickets(130, () => ({})),
      ...tickets(2, () => ({ held: true }), 'held'),
      ...tickets(3, () => ({ contact: 'other@example.test' }), 'other'),
    ];
    const fake = fakeRetention({ tickets: store, retentionDays: {} });
    const result = await wf.run(fake.activities, (q) => erase(q, 'someone@example.test', 'e1'));
    expect(result).toEqual({
      tickets: 130,
      messages: 260,
      media: 130,
      objects: 132,
      exports: 2,
      heldTicketIds: ['held00000', 'held00001'],
      contactHeld: false,
    } satisfies EraseContactResult);
    expect(fake.deleted.has('held00000') || fake.deleted.has('held00001')).toBe(false);
    expect([...fake.deleted].some((id) => id.startsWith('other'))).toBe(false);
    // Tickets first, batch by batch; the contact's exports and the audit entry last, once.
    expect(fake.log.at(-1)).toBe('exports someone@example.test');
    expect(fake.log.slice(0, -1)).toEqual(store.slice(0, 130).map((t) => `ticket ${t.id}`));
    expect(fake.summaries).toHaveLength(1);
    expect(fake.summaries[0]).toMatchObject({
      heldTicketIds: ['held00000', 'held00001'],
      totals: { tickets: 130 },
    });
    expect(fake.summaries[0]?.workflowRun).toMatch(/^erase\/tenant-a\/e1\/.+/);
  }, 60_000);

  test('started with a stored request id, the activities get the request, never the identity', async () => {
    const store = tickets(3, () => ({}));
    const fake = fakeRetention({
      tickets: store,
      retentionDays: {},
      requests: { 'req-1': 'someone@example.test' },
    });
    const result = await wf.run(
      fake.activities,
      (taskQueue) =>
        wf.client.workflow.execute('eraseContact', {
          taskQueue,
          workflowId: 'erase/tenant-a/e3',
          args: [{ tenantId: 'tenant-a', requestId: 'req-1', requestedBy: 'dpo@example.test' }],
        }) as Promise<EraseContactResult>,
    );
    expect(result).toMatchObject({ tickets: 3, contactHeld: false });
    expect(fake.summaries[0]).toMatchObject({ requestId: 'req-1' });
    expect(fake.summaries[0]).not.toHaveProperty('identity');
  }, 60_000);

  test('a contact on hold: nothing of it is erased and the result says so', async () => {
    const store = tickets(4, () => ({}));
    const fake = fakeRetention({
      tickets: store,
      retentionDays: {},
      heldContacts: new Set(['someone@example.test']),
    });
    const result = await wf.run(fake.activities, (q) => erase(q, 'someone@example.test', 'e2'));
    expect(result).toMatchObject({ tickets: 0, exports: 0, objects: 0, contactHeld: true });
    expect(result.heldTicketIds).toEqual(store.map((t) => t.id));
    expect(fake.log).toEqual([]);
  }, 60_000);
});
