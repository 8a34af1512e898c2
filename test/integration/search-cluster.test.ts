import { readPid } from '../../infra/processes';
import { RAFT_LEADER, type TypesenseNode } from '../../infra/services/typesense-cluster';
import { seededRandom } from '../../tools/blip-sim/rng';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import { type ExpectedTicket, generateTickets } from '../chaos/tickets';
import { verifyArchive } from '../chaos/verify';
import {
  type DedicatedTypesenseCluster,
  startDedicatedTypesenseCluster,
} from '../support/dedicated-typesense';

/**
 * Typesense as production runs it, three raft nodes, and the product given all three
 * (TYPESENSE_NODES): the leader is killed (SIGKILL) while tickets are being archived and agents are
 * searching. A search may fail only while there is no leader (from the kill until a survivor reports
 * itself leader); every search after that answers, every archive completes, and afterwards the index
 * on every node, the killed one restarted too, holds exactly what Postgres holds.
 */

const TICKETS = 18;
const BOTS = ['atendimentolatam', 'clinicavidasana'] as const;
const SEARCHES = [
  '/v1/tickets?q=pedido',
  '/v1/tickets?name=cliente%20caos',
  '/v1/tickets',
  '/v1/tickets?q=mensagem',
];

let ts: DedicatedTypesenseCluster;
let env: ArchiveEnv;
let tickets: ExpectedTicket[];
const cookies: Record<string, string> = {};

beforeAll(async () => {
  ts = await startDedicatedTypesenseCluster();
  env = await startArchiveEnv({
    env: {
      TYPESENSE_NODES: ts.nodeList,
      TYPESENSE_URL: ts.cluster.nodes[0]?.url as string,
      SEARCH_RATE_LIMIT_PER_MINUTE: '100000',
      WEBHOOK_RATE_LIMIT_PER_MINUTE: '100000',
    },
  });
  tickets = await generateTickets(env.sim, seededRandom(17), TICKETS, { runId: 'cluster', maxMediaMb: 1 });
}, 120_000);
afterAll(async () => {
  await env?.close();
  await ts?.close();
});

/** A read session per tenant (a bot becomes a tenant with its first webhook). */
async function logIn() {
  for (const bot of BOTS) {
    const res = await env.app.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ auth: botAuthorization(bot) }),
    });
    expect(res.statusCode).toBe(200);
    const header = res.headers['set-cookie'];
    cookies[bot] = String(Array.isArray(header) ? header[0] : header).split(';')[0] as string;
  }
}

interface SearchOutcome {
  startedAt: number;
  endedAt: number;
  ok: boolean;
  detail: string;
}

/** One search after another (both tenants, every kind) into `out` until `stop`, bounded in count. */
function searchLoad(stop: () => boolean, out: SearchOutcome[]): Promise<SearchOutcome[]> {
  return (async () => {
    for (let i = 0; i < 5000 && !stop(); i++) {
      const bot = BOTS[i % BOTS.length] as string;
      const url = SEARCHES[Math.floor(i / BOTS.length) % SEARCHES.length] as string;
      const startedAt = Date.now();
      const res = await env.app.inject({ method: 'GET', url, headers: { cookie: cookies[bot] as string } });
      const ok = res.statusCode === 200 && Array.isArray(res.json().hits);
      out.push({
        startedAt,
        endedAt: Date.now(),
        ok,
        detail: `${bot} ${url}: ${res.statusCode} ${ok ? '' : res.body}`,
      });
      await new Promise((r) => setTimeout(r, 50));
    }
    return out;
  })();
}

async function waitForLeader(exclude: TypesenseNode | null, timeoutMs: number): Promise<TypesenseNode> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const leader = await ts.cluster.leader();
    if (leader && leader !== exclude) return leader;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no Typesense leader within ${timeoutMs / 1000} s`);
}

/** Documents of this env's collections on one node (its own answer, no failover). */
async function countOn(node: TypesenseNode, collection: string, tenant: string): Promise<number> {
  const res = await fetch(
    `${node.url}/collections/${collection}/documents/search?q=*&per_page=0&filter_by=${encodeURIComponent(`tenant_id:=${tenant}`)}`,
    { headers: { 'X-TYPESENSE-API-KEY': env.config.TYPESENSE_API_KEY }, signal: AbortSignal.timeout(10_000) },
  );
  if (!res.ok) throw new Error(`${node.url}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { found: number }).found;
}

test('killing the raft leader mid-archive: searches fail only during the election, nothing is lost', async () => {
  const leader = await waitForLeader(null, 30_000);
  // One ticket of each bot first (a bot becomes a tenant, whose agents can log in and search) …
  const first = BOTS.map((bot) => tickets.find((t) => t.bot === bot) as ExpectedTicket);
  const rest = tickets.filter((t) => !first.includes(t));
  const webhook = async (t: ExpectedTicket) => {
    const res = await env.webhook(t.id, botAuthorization(t.bot));
    expect(res.statusCode).toBe(202);
    return res.body.workflowId as string;
  };
  for (const t of first) await env.result(await webhook(t));
  await logIn();
  let searching = true;
  const outcomes: SearchOutcome[] = [];
  const searches = searchLoad(() => !searching, outcomes);
  // … then the others, and the leader is killed while they are being archived and searches run.
  const workflowIds: string[] = [];
  for (const t of rest) workflowIds.push(await webhook(t));
  const results = workflowIds.map((id) => env.result(id).then(() => id));
  let done = 0;
  for (const r of results)
    void r.then(
      () => done++,
      () => done++,
    );
  const killDeadline = Date.now() + 120_000;
  while ((done < 1 || outcomes.length < 5) && Date.now() < killDeadline)
    await new Promise((r) => setTimeout(r, 50));
  expect(done).toBeLessThan(rest.length);

  const pid = readPid(leader.name);
  expect(pid).not.toBeNull();
  const killedAt = Date.now();
  process.kill(pid as number, 'SIGKILL');
  const newLeader = await waitForLeader(leader, 60_000);
  const electedAt = Date.now();
  process.stdout.write(
    `cluster: killed leader :${leader.apiPort} with ${done + first.length}/${TICKETS} archived; :${newLeader.apiPort} leads after ${electedAt - killedAt} ms\n`,
  );

  // Bounded: an archive that cannot reach the index retries forever; say so instead of timing out.
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    Promise.allSettled(results),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `${rest.length - done} of ${TICKETS} archives did not complete within 240 s of the kill`,
            ),
          ),
        240_000,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  const failedArchives = settled
    .filter((s) => s.status === 'rejected')
    .map((s) => String((s as PromiseRejectedResult).reason));
  expect(failedArchives).toEqual([]);
  // A few more searches with the leader still gone (two of three nodes serve them).
  const tail = Date.now() + 3000;
  while (Date.now() < tail) await new Promise((r) => setTimeout(r, 100));
  searching = false;
  await searches;

  // The election window: a search that was in flight at any moment between the kill and the new
  // leader may have failed; any other failure is a failure of the product.
  const inElection = (o: SearchOutcome) => o.endedAt >= killedAt && o.startedAt <= electedAt;
  const before = outcomes.filter((o) => o.endedAt < killedAt);
  const after = outcomes.filter((o) => o.startedAt > electedAt);
  const failedDuring = outcomes.filter((o) => !o.ok && inElection(o));
  process.stdout.write(
    `cluster: ${outcomes.length} searches (${before.length} before the kill, ${after.length} after the election); ${failedDuring.length} failed during the ${electedAt - killedAt} ms election\n`,
  );
  expect(before.length).toBeGreaterThan(0);
  expect(after.length).toBeGreaterThan(10);
  expect(outcomes.filter((o) => !o.ok && !inElection(o)).map((o) => o.detail)).toEqual([]);

  // The killed node comes back, catches up from the log, and every node agrees with Postgres.
  await leader.service.start();
  const report = await verifyArchive({
    db: env.db,
    store: env.store,
    search: env.search,
    collections: env.collections,
    config: env.config,
    tickets,
  });
  expect(report.problems).toEqual([]);
  expect(report.checked).toBe(TICKETS);
  for (const bot of BOTS) {
    const { rows } = await env.db.query<{ tickets: number; messages: number }>(
      `select (select count(*)::int from tickets where tenant_id = $1) as tickets,
              (select count(*)::int from messages where tenant_id = $1) as messages`,
      [bot],
    );
    const expected = rows[0] as { tickets: number; messages: number };
    expect(expected.tickets).toBeGreaterThan(0);
    for (const node of ts.cluster.nodes) {
      // A follower applies the leader's log asynchronously: give the restarted one a bounded moment.
      let counts = { tickets: -1, messages: -1 };
      for (let i = 0; i < 40; i++) {
        counts = {
          tickets: await countOn(node, env.collections.tickets, bot),
          messages: await countOn(node, env.collections.messages, bot),
        };
        if (counts.tickets === expected.tickets && counts.messages === expected.messages) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect([node.apiPort, bot, counts]).toEqual([node.apiPort, bot, expected]);
    }
  }
  expect((await ts.cluster.states()).filter((s) => s === RAFT_LEADER)).toHaveLength(1);
}, 420_000);
