import { type Db, inTransaction } from './pool';

/**
 * Which bots may use this installation, decided by operators (`ticket-vault tenants allow|disable`)
 * and by the ALLOWED_BOTS environment variable:
 * - a disabled bot is refused, whatever ALLOWED_BOTS says;
 * - a bot in ALLOWED_BOTS or allowed in the database is admitted;
 * - otherwise, when an allowlist is in use (ALLOWED_BOTS set, or any bot allowed in the database)
 *   the bot is refused, and when none is, any bot with a valid key is admitted (the default).
 */
export type BotAccess = 'admitted' | 'not-allowed' | 'disabled';

export async function botAccess(db: Db, tenantId: string, envAllowed: readonly string[]): Promise<BotAccess> {
  const { rows } = await db.query<{ access: string | null; list_in_use: boolean }>(
    `select (select access from tenant_access where tenant_id = $1) as access,
            exists (select 1 from tenant_access where access = 'allowed') as list_in_use`,
    [tenantId],
  );
  return decideAccess(rows[0], tenantId, envAllowed);
}

/** The rules above, applied to the tenant's `tenant_access` row and whether any bot is allowed there. */
export function decideAccess(
  row: { access: string | null; list_in_use: boolean } | undefined,
  tenantId: string,
  envAllowed: readonly string[],
): BotAccess {
  if (row?.access === 'disabled') return 'disabled';
  if (row?.access === 'allowed' || envAllowed.includes(tenantId)) return 'admitted';
  return envAllowed.length > 0 || row?.list_in_use ? 'not-allowed' : 'admitted';
}

export async function isTenantDisabled(db: Db, tenantId: string): Promise<boolean> {
  const { rows } = await db.query(
    `select 1 from tenant_access where tenant_id = $1 and access = 'disabled'`,
    [tenantId],
  );
  return rows.length > 0;
}

/**
 * Puts a bot on the database allowlist (re-enabling it if disabled). The first `allow` turns the
 * database allowlist on; so that nothing working stops working, every registered tenant that is
 * not disabled is allowed along with it. Returns the tenants allowed that way.
 */
export async function allowTenant(
  db: Db,
  tenantId: string,
  actor: string,
): Promise<{ alsoAllowed: string[] }> {
  return inTransaction(db, async (client) => {
    // Serialises concurrent `allow`s so only one of them turns the list on.
    await client.query('lock table tenant_access in share row exclusive mode');
    const inUse = await client.query(`select 1 from tenant_access where access = 'allowed' limit 1`);
    let alsoAllowed: string[] = [];
    if (inUse.rows.length === 0) {
      const { rows } = await client.query<{ tenant_id: string }>(
        `insert into tenant_access (tenant_id, access, changed_by)
       select t.tenant_id, 'allowed', $2 from tenants t
        where t.tenant_id <> $1 and not exists (select 1 from tenant_access a where a.tenant_id = t.tenant_id)
       returning tenant_id`,
        [tenantId, actor],
      );
      alsoAllowed = rows.map((r) => r.tenant_id).sort();
    }
    await client.query(
      `insert into tenant_access (tenant_id, access, changed_by) values ($1, 'allowed', $2)
     on conflict (tenant_id) do update set access = 'allowed', changed_by = $2, changed_at = now()`,
      [tenantId, actor],
    );
    return { alsoAllowed };
  });
}

export async function disableTenant(db: Db, tenantId: string, actor: string): Promise<void> {
  await db.query(
    `insert into tenant_access (tenant_id, access, changed_by) values ($1, 'disabled', $2)
     on conflict (tenant_id) do update set access = 'disabled', changed_by = $2, changed_at = now()`,
    [tenantId, actor],
  );
}

export interface TenantListing {
  tenantId: string;
  botIdentity: string | null;
  /** false: allowed in advance, no webhook accepted yet. */
  registered: boolean;
  access: 'allowed' | 'disabled' | null;
  commandsUrl: string | null;
  archivedTickets: number;
  lastArchivedAt: Date | null;
  createdAt: Date | null;
}

export async function listTenants(db: Db): Promise<TenantListing[]> {
  const { rows } = await db.query<{
    tenant_id: string;
    bot_identity: string | null;
    registered: boolean;
    access: 'allowed' | 'disabled' | null;
    commands_url: string | null;
    archived: string;
    last_archived_at: Date | null;
    created_at: Date | null;
  }>(
    `select coalesce(t.tenant_id, a.tenant_id) as tenant_id, t.bot_identity, t.tenant_id is not null as registered,
            a.access, t.commands_url, t.created_at,
            (select count(*) from tickets k where k.tenant_id = coalesce(t.tenant_id, a.tenant_id)
                and k.archived_at is not null) as archived,
            (select max(archived_at) from tickets k where k.tenant_id = coalesce(t.tenant_id, a.tenant_id)) as last_archived_at
       from tenants t full outer join tenant_access a on a.tenant_id = t.tenant_id
      order by 1`,
  );
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    botIdentity: r.bot_identity,
    registered: r.registered,
    access: r.access,
    commandsUrl: r.commands_url,
    archivedTickets: Number(r.archived),
    lastArchivedAt: r.last_archived_at,
    createdAt: r.created_at,
  }));
}
