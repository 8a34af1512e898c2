import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import type { CliIo } from '../../cli/context';
import { runCli } from '../../cli/main';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import { cliFor } from '../support/cli-harness';
import { exportToEnd, sessionApi } from '../support/session-api';

/**
 * Issue 14 acceptance on PDFs: after a PDF is exported, someone changes the ticket directly in
 * Postgres and the bucket (a message's text, sender and time, a deleted message, two swapped
 * positions, the contact's name, the closed-at, a media object's bytes). Then
 * - the PDF exported BEFORE still verifies on its own (it is the evidence of what was sealed), and
 *   `verify <tenant> <ticket> --pdf before.pdf` names every field that differs from the archive now;
 * - a PDF exported AFTER is INVALID in `verify-pdf`, naming each difference the archive found at
 *   export (and its visible text no longer matching the sealed text).
 */

let env: ArchiveEnv;
let cookie: string;
const LATAM = 'atendimentolatam';
const TICKET = '1d91807c-ee64-51bd-9310-963620a44bca'; // has stored media
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-pdf-tamper-'));
const api = sessionApi(
  () => env.app,
  () => cookie,
);

async function offline(...argv: string[]) {
  const out: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: () => undefined, tty: false };
  const code = await runCli(argv, { io, env: {} });
  return { code, stdout: out.join('') };
}

async function exportPdf(name: string): Promise<string> {
  const { state } = await exportToEnd(api, `/v1/tickets/${TICKET}/exports`);
  expect(state).toMatchObject({ status: 'done' });
  const bytes = Buffer.from(await (await request(state.url)).body.arrayBuffer());
  const file = path.join(work, name);
  fs.writeFileSync(file, bytes);
  return file;
}

beforeAll(async () => {
  env = await startArchiveEnv();
  const answer = await env.webhook(TICKET, botAuthorization(LATAM));
  await env.result(answer.body.workflowId as string);
  const login = await env.app.inject({
    method: 'POST',
    url: '/v1/session',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ auth: botAuthorization(LATAM), user: 'perita@loja.example' }),
  });
  cookie = String(login.headers['set-cookie']).split(';')[0] as string;
}, 600_000);
afterAll(async () => {
  await env?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

test('changes made in Postgres and storage after an export are named against the old PDF and in a new one', async () => {
  const cli = cliFor(env);
  const before = await exportPdf('before.pdf');
  expect((await offline('verify-pdf', before)).code).toBe(0);
  const same = await cli('verify', LATAM, TICKET, '--pdf', before);
  expect({ code: same.code, out: same.stdout }).toEqual({ code: 0, out: expect.stringContaining('SAME') });

  // Four different plain-text messages (not at positions 2 and 3, which are swapped).
  const { rows: msgs } = await env.db.query<{ message_id: string; position: number }>(
    `select m.message_id, m.position from messages m
      where m.tenant_id = $1 and m.ticket_id = $2 and m.text <> '' and m.sender is not null
        and m.sent_at is not null and m.position not in (2, 3)
        and not exists (select 1 from media a where a.tenant_id = m.tenant_id and a.message_id = m.message_id)
      order by m.position limit 4`,
    [LATAM, TICKET],
  );
  expect(msgs).toHaveLength(4);
  const [textMsg, senderMsg, timeMsg, deletedMsg] = msgs.map((m) => m.message_id) as [
    string,
    string,
    string,
    string,
  ];
  const { rows: swapped } = await env.db.query<{ message_id: string }>(
    'select message_id from messages where tenant_id = $1 and ticket_id = $2 and position in (2, 3) order by position',
    [LATAM, TICKET],
  );
  const { rows: media } = await env.db.query<{
    message_id: string;
    ordinal: number;
    storage_key: string;
    content_type: string;
  }>(
    "select message_id, ordinal, storage_key, content_type from media where tenant_id = $1 and ticket_id = $2 and status = 'stored' limit 1",
    [LATAM, TICKET],
  );
  const a = media[0];
  if (!a) throw new Error('no stored media');

  // Snapshot, then tamper.
  const { rows: ticketRow } = await env.db.query(
    'select contact_name, close_date from tickets where tenant_id = $1 and ticket_id = $2',
    [LATAM, TICKET],
  );
  const { rows: msgRows } = await env.db.query(
    'select * from messages where tenant_id = $1 and ticket_id = $2',
    [LATAM, TICKET],
  );
  const original: Buffer[] = [];
  for await (const c of env.store.get(a.storage_key)) original.push(c as Buffer);
  const q = (sql: string, params: unknown[]) => env.db.query(sql, params);
  await q('update messages set text = $3 where tenant_id = $1 and message_id = $2', [
    LATAM,
    textMsg,
    'Concordo em pagar R$ 10.000,00',
  ]);
  await q(
    "update messages set sender = 'someone-else@wa.gw.msging.net' where tenant_id = $1 and message_id = $2",
    [LATAM, senderMsg],
  );
  await q(
    "update messages set sent_at = sent_at - interval '1 day' where tenant_id = $1 and message_id = $2",
    [LATAM, timeMsg],
  );
  await q('delete from messages where tenant_id = $1 and message_id = $2', [LATAM, deletedMsg]);
  await q(
    'update messages set position = case position when 2 then 3 else 2 end where tenant_id = $1 and ticket_id = $2 and position in (2, 3)',
    [LATAM, TICKET],
  );
  await q(
    "update tickets set contact_name = 'Outra Pessoa', close_date = close_date + interval '3 days' where tenant_id = $1 and ticket_id = $2",
    [LATAM, TICKET],
  );
  await env.store.put(a.storage_key, Readable.from([Buffer.from('not the original bytes')]), {
    contentType: a.content_type,
  });

  try {
    const expected = [
      `message ${textMsg} text`,
      `message ${senderMsg} sender`,
      `message ${timeMsg} sentAt`,
      `message ${deletedMsg} message`,
      `message ${swapped[0]?.message_id} position`,
      `message ${swapped[1]?.message_id} position`,
      'ticket ticket.contactName',
      'ticket ticket.closedAt',
      `message ${a.message_id} media[${a.ordinal}].sha256`,
    ];

    // The PDF exported before: still valid on its own; against the archive now, every change named.
    expect((await offline('verify-pdf', before)).code).toBe(0);
    const old = await cli('verify', LATAM, TICKET, '--pdf', before);
    expect(old.code).toBe(1);
    expect(old.stdout).toContain('DIFFERS');
    for (const e of expected) expect(old.stdout).toContain(`✗ ${e}`);
    expect(old.stdout).toContain('"Outra Pessoa"');
    const oldJson = (await cli('verify', LATAM, TICKET, '--pdf', before, '--json')).json();
    expect(oldJson).toMatchObject({ ok: false, pdfSealInArchive: true, newerSeals: [] });

    // A PDF exported after the changes: INVALID, naming what the archive found at export.
    const after = await exportPdf('after.pdf');
    const res = await offline('verify-pdf', after, '--json');
    expect(res.code).toBe(1);
    const report = JSON.parse(res.stdout) as {
      valid: boolean;
      problems: Array<{ what: string; detail: string }>;
    };
    expect(report.valid).toBe(false);
    const whats = report.problems.map((p) => p.what);
    for (const id of [textMsg, senderMsg, timeMsg, deletedMsg])
      expect(whats.join('\n')).toContain(`archive at export: message ${id}`);
    expect(whats).toEqual(
      expect.arrayContaining([
        `archive at export: message ${textMsg} text`,
        `archive at export: message ${senderMsg} sender`,
        `archive at export: message ${timeMsg} sentAt`,
        `archive at export: message ${swapped[0]?.message_id} position`,
        'archive at export ticket.contactName',
        'archive at export ticket.closedAt',
        `archive at export: message ${a.message_id} media[${a.ordinal}].sha256`,
      ]),
    );
    // And the pages show a text the seal does not hold.
    // And the pages show a text the seal does not hold.
    expect(whats.some((w) => w.endsWith(').text'))).toBe(true);
    const screen = await offline('verify-pdf', after);
    expect(screen.stdout).toContain("✗ at export, the archive's stored data differed from this seal");
    expect(screen.stdout).toContain('Outra Pessoa');
  } finally {
    // Put everything back: the archive verifies again.
    const orig = new Map(msgRows.map((r) => [r.message_id as string, r]));
    for (const id of [textMsg, senderMsg, timeMsg]) {
      const r = orig.get(id);
      await q(
        'update messages set text = $3, sender = $4, sent_at = $5 where tenant_id = $1 and message_id = $2',
        [LATAM, id, r.text, r.sender, r.sent_at],
      );
    }
    await q(
      'update messages set position = case position when 2 then 3 else 2 end where tenant_id = $1 and ticket_id = $2 and position in (2, 3)',
      [LATAM, TICKET],
    );
    const row = orig.get(deletedMsg);
    const cols = Object.keys(row);
    await q(
      `insert into messages (${cols.join(',')}) values (${cols.map((_, i) => `$${i + 1}`).join(',')})`,
      cols.map((c) =>
        c === 'content' || c === 'reason' || c === 'metadata' ? JSON.stringify(row[c]) : row[c],
      ),
    );
    await q('update tickets set contact_name = $3, close_date = $4 where tenant_id = $1 and ticket_id = $2', [
      LATAM,
      TICKET,
      ticketRow[0].contact_name,
      ticketRow[0].close_date,
    ]);
    await env.store.put(a.storage_key, Readable.from([Buffer.concat(original)]), {
      contentType: a.content_type,
    });
  }
  const restored = await cli('verify', LATAM, TICKET, '--pdf', before);
  expect(restored.code).toBe(0);
});

test('--pdf needs a ticket and a readable file (exit 2)', async () => {
  const cli = cliFor(env);
  expect((await cli('verify', LATAM, '--pdf', path.join(work, 'x.pdf'))).code).toBe(2);
  expect((await cli('verify', LATAM, TICKET, '--pdf', path.join(work, 'missing.pdf'))).code).toBe(2);
});
