import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import { cliFor } from '../support/cli-harness';

/**
 * The retention, legal-hold and erasure commands of the ops CLI, in-process against the real
 * stack (the workflows themselves are covered in retention-erasure.test.ts).
 */

const LATAM = 'atendimentolatam';
const ANA = 'b598352e-77f5-546c-a017-5ec108ed50ba'; // contact 5511987654321@wa.gw.msging.net
const JOSE = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67';
const RAFAEL = '1d91807c-ee64-51bd-9310-963620a44bca';
let env: ArchiveEnv;
let cli: ReturnType<typeof cliFor>;

beforeAll(async () => {
  env = await startArchiveEnv();
  cli = cliFor(env);
  for (const id of [ANA, JOSE, RAFAEL]) {
    const answer = await env.webhook(id, botAuthorization(LATAM));
    await env.result(answer.body.workflowId as string);
  }
});
afterAll(async () => {
  await env?.close();
});

const ticketIds = async () =>
  (
    await env.db.query<{ ticket_id: string }>(
      'select ticket_id from tickets where tenant_id = $1 order by ticket_id',
      [LATAM],
    )
  ).rows.map((r) => r.ticket_id);

test('hold, retention and erasure from the CLI: held tickets survive, the rest go, usage errors exit 2', async () => {
  // The index is populated: `reindex --if-empty` (what npm start runs) leaves it alone.
  const reindex = await cli('reindex', '--if-empty', '--json');
  expect(reindex.code).toBe(0);
  expect(JSON.parse(reindex.stdout)).toMatchObject({ status: 'skipped', archived: 3, indexed: 3 });

  expect((await cli('retention', 'set', LATAM, '-5')).code).toBe(2);
  expect((await cli('hold', 'place', LATAM, 'banana', ANA)).code).toBe(2);
  // A hold on nothing is refused, naming the target: no silent success, no hold row.
  const nobody = '5500000000000@wa.gw.msging.net';
  const noTicket = '00000000-0000-4000-8000-00000000beef';
  for (const [kind, target] of [
    ['contact', nobody],
    ['ticket', noTicket],
  ]) {
    const refused = await cli('hold', 'place', LATAM, kind as string, target as string, '--reason', 'x');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(target);
  }
  expect((await cli('hold', 'list', LATAM, '--json')).stdout).not.toContain(nobody);

  expect(
    (await cli('hold', 'place', LATAM, 'ticket', JOSE, '--reason', 'case 2025-117', '--json')).code,
  ).toBe(0);
  const holds = await cli('hold', 'list', LATAM, '--json');
  expect(holds.code).toBe(0);
  expect(holds.stdout).toContain(JOSE);

  expect((await cli('retention', 'set', LATAM, '30', '--json')).code).toBe(0);
  const { rows } = await env.db.query('select retention_days from tenants where tenant_id = $1', [LATAM]);
  expect(rows[0].retention_days).toBe(30);

  // The fixtures closed in March 2025, long past 30 days: all but the held ticket go.
  const applied = await cli('retention', 'run', LATAM, '--json');
  expect(applied.code).toBe(0);
  expect(await ticketIds()).toEqual([JOSE]);

  expect((await cli('hold', 'release', LATAM, 'ticket', JOSE, '--json')).code).toBe(0);
  expect((await cli('retention', 'set', LATAM, 'forever', '--json')).code).toBe(0);
  expect((await cli('retention', 'run', LATAM, '--json')).code).toBe(0);
  expect(await ticketIds()).toEqual([JOSE]);

  const erased = await cli('erase', LATAM, '5215512345678@wa.gw.msging.net', '--json');
  expect(erased.code).toBe(0);
  expect(await ticketIds()).toEqual([]);
  const audit = await env.db.query(
    "select count(*)::int as n from audit_log where tenant_id = $1 and action like 'contact.erase%'",
    [LATAM],
  );
  expect(audit.rows[0].n).toBeGreaterThanOrEqual(1);
});
