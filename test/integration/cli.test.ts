import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { aliasTarget, dropCollections, ensureCollections } from '../../lib/search/migrate';
import { collectionNames, TICKET_FIELDS } from '../../lib/search/schema';
import { tenantKey } from '../../lib/search/tenant-scope';
import { createTicketSearch } from '../../lib/search/ticket-search';
import {
  archiveWorkflowId,
  backfillWorkflowId,
  PROGRESS_QUERY,
  reindexWorkflowId,
} from '../../lib/temporal/contract';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization, fixtureIndex } from '../../tools/harness/blip-fixtures';
import { uniqueSuffix } from '../../tools/harness/stack-env';
import { cliFor } from '../support/cli-harness';
import { addClosedTicket, textMessages } from '../support/generated-tickets';

/**
 * The ops CLI against the real stack: commands run in-process (`runCli` with injected deps, the
 * same code path as `npx ticket-vault`), plus real `node cli/bin.js` child processes.
 */

const run = promisify(execFile);
/**
 * Backfill ids are `backfill/<tenant>/<from>/<to>` in a Temporal namespace every test run shares:
 * a random time of day in the bounds keeps this run's ranges its own.
 */
const clock = () => {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(Math.floor(Math.random() * 6))}:${two(Math.floor(Math.random() * 60))}:${two(Math.floor(Math.random() * 60))}`;
};
const ROOT = path.resolve(__dirname, '../..');
const LATAM = 'atendimentolatam';
const CLINICA = 'clinicavidasana';
const index = fixtureIndex();
const latamFixtures = index.tickets.filter((t) => t.bot === `${LATAM}@msging.net`).map((t) => t.id);
const [FIRST, SECOND] = latamFixtures as [string, string];

let env: ArchiveEnv;
let cli: ReturnType<typeof cliFor>;

beforeAll(async () => {
  env = await startArchiveEnv();
  cli = cliFor(env);
  // The tenant registers through its first webhook, as in production.
  const first = await env.webhook(FIRST, botAuthorization(LATAM));
  expect(first.statusCode).toBe(202);
  await env.result(first.body.workflowId as string);
});
afterAll(async () => {
  await env?.close();
});

const archivedCount = async (tenantId: string) =>
  Number(
    (
      await env.db.query(
        'select count(*) as n from tickets where tenant_id = $1 and archived_at is not null',
        [tenantId],
      )
    ).rows[0].n,
  );

describe('the executable', () => {
  test('node cli/bin.js --help, --json and usage errors as a real process', async () => {
    const help = await run('node', ['cli/bin.js', '--help'], { cwd: ROOT });
    expect(help.stdout).toMatch(/Usage: ticket-vault/);
    for (const cmd of ['tenants', 'archive', 'backfill', 'reindex', 'verify', 'export']) {
      expect(help.stdout).toContain(cmd);
    }
    const sub = await run('node', ['cli/bin.js', 'backfill', '--help'], { cwd: ROOT });
    expect(sub.stdout).toMatch(/--from <date>/);

    const listed = await run('node', ['cli/bin.js', 'tenants', 'list', '--json'], {
      cwd: ROOT,
      env: { ...process.env, ...env.workerEnv },
    });
    const body = JSON.parse(listed.stdout);
    expect(body.tenants.map((t: { tenantId: string }) => t.tenantId)).toContain(LATAM);

    const usage = await run('node', ['cli/bin.js', 'archive'], { cwd: ROOT }).catch((e) => e);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/missing required argument/);
    const badDate = await run(
      'node',
      ['cli/bin.js', 'backfill', LATAM, '--from', 'yesterday', '--to', '2025-01-01'],
      {
        cwd: ROOT,
        env: { ...process.env, ...env.workerEnv },
      },
    ).catch((e) => e);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toMatch(/from must be a date/);
  });
});

describe('archive', () => {
  test('an archived ticket is reported, not re-run; --force re-runs it under the same id', async () => {
    const again = await cli('archive', LATAM, FIRST, '--json');
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({ status: 'archived', workflowId: archiveWorkflowId(LATAM, FIRST) });

    const forced = await cli('archive', LATAM, FIRST, '--force', '--wait', '--json');
    expect(forced.code).toBe(0);
    expect(forced.json()).toMatchObject({
      status: 'archived',
      result: { digest: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
  });

  test('a ticket not archived yet is archived; an unknown tenant fails with exit 1', async () => {
    const res = await cli('archive', LATAM, SECOND, '--wait');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/archived, \d+ messages/);
    expect(await archivedCount(LATAM)).toBe(2);

    const unknown = await cli('archive', 'nosuchbot', SECOND);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/tenant nosuchbot is not registered/);
    expect((await cli('archive', LATAM, 'not-a-uuid')).code).toBe(2);
  });
});

describe('verify and export', () => {
  test('export writes a valid PDF to --out, or prints a signed URL', async () => {
    const file = path.join(os.tmpdir(), `tv-cli-${randomUUID()}.pdf`);
    try {
      const res = await cli('export', LATAM, FIRST, '--out', file, '--lang', 'es', '--json');
      expect(res.code).toBe(0);
      const body = res.json();
      expect(body).toMatchObject({
        status: 'done',
        file,
        lang: 'es',
        fileName: expect.stringMatching(/^ticket-\d+-[a-z0-9-]+-\d{4}-\d{2}-\d{2}\.pdf$/),
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      const bytes = fs.readFileSync(file);
      expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
      const info = await run('pdfinfo', [file]);
      const pages = Number(/Pages:\s+(\d+)/.exec(info.stdout)?.[1]);
      expect(pages).toBeGreaterThanOrEqual(1);
      expect(pages).toBe(body.pages);
    } finally {
      fs.rmSync(file, { force: true });
    }
    const url = await cli('export', LATAM, FIRST);
    expect(url.code).toBe(0);
    expect(url.stdout.trim()).toMatch(/^https?:\/\//);
    const audit = await env.db.query(
      `select action from audit_log where tenant_id = $1 and actor = 'cli:test' order by id`,
      [LATAM],
    );
    expect(audit.rows.map((r) => r.action)).toEqual(
      expect.arrayContaining(['export.request', 'export.download']),
    );
  });

  test('tenants set-time-zone takes only zones Intl knows; export --lang only pt-BR, es, en', async () => {
    const bad = await cli('tenants', 'set-time-zone', LATAM, 'Mars/Olympus_Mons');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not an IANA time zone/);
    const set = await cli('tenants', 'set-time-zone', LATAM, 'america/mexico_city', '--json');
    expect(set.code).toBe(0);
    expect(set.json()).toEqual({ tenantId: LATAM, timeZone: 'America/Mexico_City' });
    const stored = await env.db.query('select time_zone from tenants where tenant_id = $1', [LATAM]);
    expect(stored.rows[0]).toEqual({ time_zone: 'America/Mexico_City' });
    expect((await cli('tenants', 'set-time-zone', LATAM, 'America/Sao_Paulo')).code).toBe(0);
    const lang = await cli('export', LATAM, FIRST, '--lang', 'fr');
    expect(lang.code).toBe(2);
    expect(lang.stderr).toMatch(/--lang must be one of pt-BR, es, en/);
    const kind = await cli('export', LATAM, FIRST, '--redact-pattern', 'cpf,rg');
    expect(kind.code).toBe(2);
    expect(kind.stderr).toContain('unknown pattern "rg"');
    const risky = await cli('export', LATAM, FIRST, '--redact-regex', 'ok', '--redact-regex', '(a+)+');
    expect(risky.code).toBe(2);
    expect(risky.stderr).toContain('custom pattern #2 ("(a+)+") repeats a group');
  });

  test('export --redact-pattern / --redact-regex: a redacted export, with the kinds and patterns recorded', async () => {
    const res = await cli(
      'export',
      LATAM,
      FIRST,
      '--redact-pattern',
      'Email, phone',
      '--redact-regex',
      'pedido',
      '--redact-reason',
      'LGPD',
      '--json',
    );
    expect(res.code).toBe(0);
    const { rows } = await env.db.query(
      "select params from exports where tenant_id = $1 and target = $2 and status = 'done' order by created_at desc limit 1",
      [LATAM, FIRST],
    );
    expect(rows[0]?.params).toEqual({
      redact: { messages: [], reason: 'LGPD', patterns: ['email', 'phone'], regex: ['pedido'] },
    });
  });

  test('tenants set-name names the tenant for PDF covers and the UI; "-" clears it; an unknown bot fails', async () => {
    const set = await cli('tenants', 'set-name', LATAM, '  Loja   Exemplo LATAM ', '--json');
    expect(set.code).toBe(0);
    const stored = await env.db.query('select name from tenants where tenant_id = $1', [LATAM]);
    expect(stored.rows[0]).toEqual({ name: 'Loja Exemplo LATAM' });
    expect((await cli('tenants', 'set-name', 'nosuchbot', 'X')).code).not.toBe(0);
    expect((await cli('tenants', 'set-name', LATAM, '-')).code).toBe(0);
    const cleared = await env.db.query('select name from tenants where tenant_id = $1', [LATAM]);
    expect(cleared.rows[0]).toEqual({ name: null });
  });

  test('verify passes on intact tickets and exits 1 naming the ticket after tampering', async () => {
    const clean = await cli('verify', LATAM, '--json');
    expect(clean.code).toBe(0);
    expect(clean.json()).toMatchObject({ checked: 2, ok: 2, mismatched: 0 });
    expect((await cli('verify', LATAM, FIRST)).code).toBe(0);

    await env.db.query(
      `update messages set raw = convert_to('{"id":"forged"}', 'UTF8')
        where tenant_id = $1 and ticket_id = $2 and position = 0`,
      [LATAM, SECOND],
    );
    const tampered = await cli('verify', LATAM);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain(`MISMATCH ${SECOND}`);
    const one = await cli('verify', LATAM, SECOND, '--json');
    expect(one.code).toBe(1);
    expect(one.json().results[0]).toMatchObject({ ticketId: SECOND, ok: false });
    expect((await cli('verify', LATAM, FIRST)).code).toBe(0);
    expect((await cli('verify', LATAM, randomUUID())).code).toBe(1);
    // Put it back (re-archive from Blip) for the tests that follow.
    expect((await cli('archive', LATAM, SECOND, '--force', '--wait')).code).toBe(0);
    expect((await cli('verify', LATAM, SECOND)).code).toBe(0);
  });
});

/** A closed LATAM ticket that only the backfill will find (no webhook). */
function addBackfillTicket(storageDate: string): string {
  const id = randomUUID();
  const at = Date.parse(storageDate);
  return addClosedTicket(env.sim, {
    id,
    bot: LATAM,
    start: at,
    closedAt: at + 600_000,
    contactName: `Backfill ${id.slice(0, 4)}`,
    messages: () => textMessages(`bf-${id}`, 2, at, (i) => `pedido de backfill ${i}`),
  });
}

describe('backfill', () => {
  test('archives every closed ticket in range as child workflows, bounded, continuing as new, resumable', async () => {
    const generated = Array.from({ length: 24 }, (_, i) =>
      addBackfillTicket(new Date(Date.parse('2025-05-01T12:00:00Z') + i * 3_600_000).toISOString()),
    );
    const from = `2025-03-01T${clock()}Z`;
    const to = `2025-05-31T${clock()}Z`;
    const args = ['backfill', LATAM, '--from', from, '--to', to];
    const res = await cli(
      ...args,
      '--page-size',
      '5',
      '--concurrency',
      '3',
      '--continue-as-new-every',
      '6',
      '--wait',
      '--json',
    );
    expect(res.stderr).toMatch(/backfill: listed \d+/);
    expect(res.code).toBe(0);
    const body = res.json();
    expect(body.workflowId).toBe(
      backfillWorkflowId(LATAM, new Date(from).toISOString(), new Date(to).toISOString()),
    );
    const p = body.progress;
    expect(p.done).toBe(true);
    expect(p.listed).toBeGreaterThanOrEqual(28); // 24 generated + the LATAM fixtures Blip lists as closed
    expect(p.failed).toBe(0);
    expect(p.skipped).toBeGreaterThanOrEqual(2); // FIRST and SECOND were archived already
    expect(p.archived + p.skipped + p.joined).toBe(p.listed);
    expect(p.run).toBeGreaterThan(1); // continued as new
    for (const id of generated) {
      const { rows } = await env.db.query(
        'select archived_at from tickets where tenant_id = $1 and ticket_id = $2',
        [LATAM, id],
      );
      expect(rows[0]?.archived_at).toBeInstanceOf(Date);
    }

    // Children ran under their archive ids, never more than --concurrency at once.
    const spans = await Promise.all(
      generated.map(async (id) => {
        const d = await env.temporal.workflow.getHandle(archiveWorkflowId(LATAM, id)).describe();
        return [d.startTime.getTime(), d.closeTime?.getTime() ?? Number.POSITIVE_INFINITY] as const;
      }),
    );
    const overlap = Math.max(...spans.map(([s]) => spans.filter(([a, b]) => a <= s && s < b).length));
    expect(overlap).toBeGreaterThan(1);
    expect(overlap).toBeLessThanOrEqual(3);

    // The progress query answers on the finished workflow too.
    const handle = env.temporal.workflow.getHandle(body.workflowId);
    expect(await handle.query(PROGRESS_QUERY)).toMatchObject({ done: true, listed: p.listed });

    // Same command again: the existing (completed) run is reported, nothing is archived twice.
    const again = await cli(...args, '--json');
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({
      status: 'completed',
      workflowId: body.workflowId,
      progress: { listed: p.listed },
    });
  });

  test('re-running while it runs resumes the same workflow', async () => {
    for (let i = 0; i < 6; i++) addBackfillTicket(`2025-07-0${i + 1}T09:00:00.000Z`);
    const args = [
      'backfill',
      LATAM,
      '--from',
      `2025-07-01T${clock()}Z`,
      '--to',
      `2025-07-31T${clock()}Z`,
      '--page-size',
      '2',
      '--concurrency',
      '2',
    ];
    const first = await cli(...args, '--json');
    expect(first.code).toBe(0);
    expect(first.json().status).toBe('started');
    const second = await cli(...args, '--json');
    expect(['resumed', 'completed']).toContain(second.json().status);
    expect(second.json().workflowId).toBe(first.json().workflowId);
    const done = await cli(...args, '--wait', '--json');
    expect(done.code).toBe(0);
    expect(done.json().progress).toMatchObject({ done: true, listed: 6, archived: 6, failed: 0 });
  });
});

describe('reindex', () => {
  test('a full reindex builds a new versioned collection and swaps the alias while searches keep answering', async () => {
    const search = createTicketSearch(env.search, env.collections);
    const expected = await archivedCount(LATAM);
    expect(expected).toBeGreaterThan(20);
    const before = await aliasTarget(env.search, env.collections.tickets);
    expect(before).toMatch(/_v\d+$/);
    expect((await search.search(LATAM, { page: 1, perPage: 1 })).found).toBe(expected);

    const nextName = `${env.collections.tickets}_v${Number(before?.split('_v').pop()) + 1}`;
    const reindex = cli('reindex', '--batch-size', '2', '--wait', '--json');
    const handle = env.temporal.workflow.getHandle(reindexWorkflowId());
    const during: Array<{ phase: string; found: number }> = [];
    let finished = false;
    reindex.finally(() => {
      finished = true;
    });
    while (!finished) {
      // reindex/all of an earlier test run may still be on record (another task queue, no worker to
      // answer queries): only ask this run's execution.
      const d = await handle.describe().catch(() => null);
      const current = d?.status.name === 'RUNNING' && d.taskQueue === env.config.TEMPORAL_TASK_QUEUE;
      const progress = current
        ? await env.temporal.workflow
            .getHandle(reindexWorkflowId(), d.runId)
            .query<{ phase: string }>(PROGRESS_QUERY)
            .catch(() => null)
        : null;
      const res = await search.search(LATAM, { page: 1, perPage: 1 });
      // Mid-build, seen from the stores: the next version exists while the alias still names the old one.
      const nextExists = await env.search
        .collections(nextName)
        .retrieve()
        .then(
          () => true,
          () => false,
        );
      const building = nextExists && (await aliasTarget(env.search, env.collections.tickets)) === before;
      if (current && (building || (progress && progress.phase !== 'done')))
        during.push({ phase: building ? 'building' : (progress?.phase ?? '?'), found: res.found });
      const text = await search.search(LATAM, { q: 'backfill', page: 1, perPage: 1 });
      expect(text.found).toBeGreaterThan(0);
    }
    const res = await reindex;
    expect(res.code).toBe(0);
    expect(res.json()).toMatchObject({ status: 'done', progress: { done: true } });
    expect(res.json().progress.tickets).toBeGreaterThanOrEqual(expected);
    // Whichever searches landed mid-build (how many depends on timing) saw every ticket.
    for (const d of during) expect(d.found).toBe(expected);

    const after = await aliasTarget(env.search, env.collections.tickets);
    expect(after).not.toBe(before);
    expect(Number(after?.split('_v').pop())).toBe(Number(before?.split('_v').pop()) + 1);
    await expect(env.search.collections(before as string).retrieve()).rejects.toMatchObject({
      httpStatus: 404,
    });
    expect((await search.search(LATAM, { page: 1, perPage: 1 })).found).toBe(expected);
    expect((await search.search(LATAM, { q: 'backfill', page: 1, perPage: 1 })).found).toBeGreaterThan(0);
  });

  test('a tenant reindex upserts into the live collections', async () => {
    const target = await aliasTarget(env.search, env.collections.tickets);
    await env.search.collections(env.collections.tickets).documents(`${LATAM}:${FIRST}`).delete();
    const res = await cli('reindex', LATAM, '--wait', '--json');
    expect(res.code).toBe(0);
    expect(res.json().progress.tickets).toBe(await archivedCount(LATAM));
    expect(await aliasTarget(env.search, env.collections.tickets)).toBe(target);
    const doc = await env.search
      .collections(env.collections.tickets)
      .documents(`${LATAM}:${FIRST}`)
      .retrieve();
    expect(doc).toMatchObject({ ticket_id: FIRST });
  });

  test('ensureCollections moves a plain collection of an older install behind an alias, keeping its documents', async () => {
    const names = collectionNames(`t${uniqueSuffix()}_legacy_`);
    try {
      // As an older install made it: no tenant_key yet (the copy derives it from tenant_id).
      await env.search.collections().create({
        name: names.tickets,
        fields: TICKET_FIELDS.filter((f) => f.name !== 'tenant_key'),
        default_sorting_field: 'closed_at',
      } as never);
      await env.search.collections(names.tickets).documents().create({
        id: 'x:1',
        tenant_id: 'x',
        ticket_id: '1',
        closed_at: 1,
        message_count: 0,
        media_count: 0,
      });
      await ensureCollections(env.search, names);
      expect(await aliasTarget(env.search, names.tickets)).toBe(`${names.tickets}_v1`);
      expect(await aliasTarget(env.search, names.messages)).toBe(`${names.messages}_v1`);
      const doc = await env.search.collections(names.tickets).documents('x:1').retrieve();
      expect(doc).toMatchObject({ ticket_id: '1', tenant_key: tenantKey('x') });
      const plain = (await env.search.collections(names.tickets).retrieve()) as { name: string };
      expect(plain.name).toBe(`${names.tickets}_v1`); // the name now resolves through the alias
      await ensureCollections(env.search, names); // idempotent
    } finally {
      await dropCollections(env.search, names);
    }
  });
});

describe('tenants', () => {
  test('list, set-commands-url, allow (database allowlist) and disable → webhooks refused', async () => {
    const list = await cli('tenants', 'list', '--json');
    expect(list.code).toBe(0);
    expect(list.json()).toMatchObject({ allowlist: false });
    expect(list.json().tenants.find((t: { tenantId: string }) => t.tenantId === LATAM)).toMatchObject({
      status: 'active',
      allowed: true,
      archivedTickets: await archivedCount(LATAM),
    });

    expect((await cli('tenants', 'set-commands-url', LATAM, 'file:///etc/passwd')).code).toBe(2);
    expect((await cli('tenants', 'set-commands-url', 'nosuchbot', 'https://example.com')).code).toBe(1);
    const set = await cli('tenants', 'set-commands-url', LATAM, env.config.BLIP_API_URL);
    expect(set.code).toBe(0);
    const { rows } = await env.db.query('select commands_url from tenants where tenant_id = $1', [LATAM]);
    expect(rows[0].commands_url).toBe(env.config.BLIP_API_URL);

    // The first allow turns the database allowlist on and keeps the existing tenant allowed.
    const allow = await cli('tenants', 'allow', 'futurebot', '--json');
    expect(allow.code).toBe(0);
    expect(allow.json()).toMatchObject({ tenantId: 'futurebot', alsoAllowed: [LATAM] });
    const listed = (await cli('tenants', 'list', '--json')).json();
    expect(listed.allowlist).toBe(true);
    expect(listed.tenants.find((t: { tenantId: string }) => t.tenantId === 'futurebot')).toMatchObject({
      status: 'pre-allowed',
      registered: false,
    });
    const clinicaTicket = index.tickets.find((t) => t.bot === `${CLINICA}@msging.net`)?.id as string;
    const refused = await env.webhook(clinicaTicket, botAuthorization(CLINICA));
    expect(refused.statusCode).toBe(401);
    expect(refused.body.message).toMatch(new RegExp(`bot ${CLINICA} is not allowed`));

    // Disabled: webhooks refused naming the tenant, no archive started, CLI archive refused.
    expect((await cli('tenants', 'disable', LATAM)).code).toBe(0);
    const fresh = addBackfillTicket('2025-08-01T10:00:00.000Z');
    const disabled = await env.webhook(fresh, botAuthorization(LATAM));
    expect(disabled.statusCode).toBe(403);
    expect(disabled.body.message).toMatch(new RegExp(`tenant ${LATAM} is disabled`));
    await expect(
      env.temporal.workflow.getHandle(archiveWorkflowId(LATAM, fresh)).describe(),
    ).rejects.toThrow();
    const cliArchive = await cli('archive', LATAM, fresh);
    expect(cliArchive.code).toBe(1);
    expect(cliArchive.stderr).toMatch(/disabled/);
    expect(
      (await cli('tenants', 'list', '--json'))
        .json()
        .tenants.find((t: { tenantId: string }) => t.tenantId === LATAM),
    ).toMatchObject({
      status: 'disabled',
      allowed: false,
    });

    // allow re-enables it.
    expect((await cli('tenants', 'allow', LATAM)).code).toBe(0);
    const back = await env.webhook(fresh, botAuthorization(LATAM));
    expect(back.statusCode).toBe(202);
    await env.result(back.body.workflowId as string);
  });
});
