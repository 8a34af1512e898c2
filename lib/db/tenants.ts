import { timingSafeEqual } from 'node:crypto';
import type { SecretBox } from '../crypto/secret-box';
import { canonicalTimeZone } from '../pdf/format';
import type { Db } from './pool';

/**
 * Tenants are bots. Each bot's Blip key is stored sealed (AES-256-GCM) and fingerprinted (HMAC),
 * so a webhook's key is checked against the stored one without decrypting it, and the plain key
 * is only ever produced for an activity that calls Blip (docs/architecture.md rule 1).
 */

export interface TenantInput {
  tenantId: string;
  botIdentity: string;
  /** The full `Key <base64>` authorization value. */
  authorization: string;
  /** Given: replaces the stored one (null resets to the default). Omitted: left unchanged. */
  commandsUrl?: string | null;
  /** Given: replaces the stored one. Omitted or null: left unchanged. */
  name?: string | null;
}

export interface Tenant {
  tenantId: string;
  botIdentity: string;
  /** null = the installation's BLIP_API_URL. */
  commandsUrl: string | null;
  name: string | null;
  /** IANA zone the tenant's documents show dates in (default America/Sao_Paulo). */
  timeZone: string;
}

export class TenantNotFoundError extends Error {
  override name = 'TenantNotFoundError';
  constructor(readonly tenantId: string) {
    super(`tenant ${tenantId} is not registered`);
  }
}

/**
 * Associated data binding a sealed key to its row: a key_sealed value copied onto another
 * tenant does not open.
 */
const sealContext = (tenantId: string) => `ticket-vault/tenant-key/${tenantId}`;

/**
 * The worker sends the bot's key to this URL, so only absolute http(s) URLs are accepted
 * (never file:, javascript: or a relative path).
 */
function checkCommandsUrl(url: string | null | undefined): void {
  if (url === null || url === undefined) return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('commands URL is not a valid URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new TypeError('commands URL must use http or https');
  }
}

export async function upsertTenant(
  db: Db,
  box: SecretBox,
  input: TenantInput,
): Promise<{ created: boolean; keyChanged: boolean }> {
  checkCommandsUrl(input.commandsUrl);
  const fingerprint = box.fingerprint(input.authorization);
  const sealed = box.seal(input.authorization, sealContext(input.tenantId));
  const commandsUrlGiven = input.commandsUrl !== undefined;
  const commandsUrl = input.commandsUrl ?? null;
  const name = input.name ?? null;

  const inserted = await db.query(
    `insert into tenants (tenant_id, bot_identity, key_sealed, key_fingerprint, commands_url, name)
     values ($1, $2, $3, $4, $5, $6)
     on conflict (tenant_id) do nothing`,
    [input.tenantId, input.botIdentity, sealed, fingerprint, commandsUrl, name],
  );
  if (inserted.rowCount === 1) return { created: true, keyChanged: false };

  // The row exists (tenants are never deleted). Lock it to read the previous fingerprint and
  // update it in one statement, so concurrent webhooks of the same bot see a consistent answer.
  // The key counts as the same when it matches under any encryption key still accepted (a
  // rotation of ARCHIVE_ENCRYPTION_KEY changes fingerprints, not keys). A different key bumps the
  // session epoch: every session opened with the old key ends.
  const { rows } = await db.query<{ previous: string; same_key: boolean }>(
    `update tenants t
        set bot_identity = $2,
            key_sealed = case when old.key_fingerprint = any($8::text[]) then t.key_sealed else $3 end,
            key_fingerprint = case when old.key_fingerprint = any($8::text[]) then t.key_fingerprint else $4 end,
            session_epoch = case when old.key_fingerprint = any($8::text[]) then t.session_epoch else t.session_epoch + 1 end,
            commands_url = case when $5::boolean then $6 else t.commands_url end,
            name = coalesce($7, t.name),
            updated_at = now()
       from (select tenant_id, key_fingerprint from tenants where tenant_id = $1 for update) old
      where t.tenant_id = old.tenant_id
      returning old.key_fingerprint as previous, old.key_fingerprint = any($8::text[]) as same_key`,
    [
      input.tenantId,
      input.botIdentity,
      sealed,
      fingerprint,
      commandsUrlGiven,
      commandsUrl,
      name,
      box.fingerprints(input.authorization),
    ],
  );
  return { created: false, keyChanged: rows[0] ? !rows[0].same_key : false };
}

export async function getTenant(db: Db, tenantId: string): Promise<Tenant | null> {
  const { rows } = await db.query<{
    tenant_id: string;
    bot_identity: string;
    commands_url: string | null;
    name: string | null;
    time_zone: string;
  }>('select tenant_id, bot_identity, commands_url, name, time_zone from tenants where tenant_id = $1', [
    tenantId,
  ]);
  const r = rows[0];
  return r
    ? {
        tenantId: r.tenant_id,
        botIdentity: r.bot_identity,
        commandsUrl: r.commands_url,
        name: r.name,
        timeZone: r.time_zone,
      }
    : null;
}

/**
 * The tenant's decrypted `Key …` authorization, for calling Blip. Throws TenantNotFoundError, or
 * SecretBoxError when the stored value cannot be opened (wrong ARCHIVE_ENCRYPTION_KEY); neither
 * message contains the key.
 */
export async function tenantAuthorization(db: Db, box: SecretBox, tenantId: string): Promise<string> {
  const { rows } = await db.query<{ key_sealed: string }>(
    'select key_sealed from tenants where tenant_id = $1',
    [tenantId],
  );
  const row = rows[0];
  if (!row) throw new TenantNotFoundError(tenantId);
  const { plain, stale } = box.openDetailed(row.key_sealed, sealContext(tenantId));
  // Opened by a previous ARCHIVE_ENCRYPTION_KEY (a rotation in progress): re-seal it now.
  if (stale) await resealTenantKey(db, box, tenantId, row.key_sealed, plain);
  return plain;
}

/**
 * Seals the tenant's key and fingerprint again with the current encryption key, unless the row
 * changed since `sealedBefore` was read (a new key arrived meanwhile: that one wins).
 */
export async function resealTenantKey(
  db: Db,
  box: SecretBox,
  tenantId: string,
  sealedBefore: string,
  plain: string,
): Promise<boolean> {
  const res = await db.query(
    `update tenants set key_sealed = $3, key_fingerprint = $4, updated_at = now()
      where tenant_id = $1 and key_sealed = $2`,
    [tenantId, sealedBefore, box.seal(plain, sealContext(tenantId)), box.fingerprint(plain)],
  );
  return res.rowCount === 1;
}

/**
 * Re-seals every tenant key that a previous ARCHIVE_ENCRYPTION_KEY still opens, so the previous
 * key can be dropped. Returns how many were re-sealed and the tenants whose key opens with no
 * configured key (left untouched).
 */
export async function resealAllTenantKeys(
  db: Db,
  box: SecretBox,
): Promise<{ checked: number; resealed: string[]; unreadable: string[] }> {
  const { rows } = await db.query<{ tenant_id: string; key_sealed: string }>(
    'select tenant_id, key_sealed from tenants order by tenant_id',
  );
  const resealed: string[] = [];
  const unreadable: string[] = [];
  for (const row of rows) {
    let opened: { plain: string; stale: boolean };
    try {
      opened = box.openDetailed(row.key_sealed, sealContext(row.tenant_id));
    } catch {
      unreadable.push(row.tenant_id);
      continue;
    }
    if (opened.stale && (await resealTenantKey(db, box, row.tenant_id, row.key_sealed, opened.plain))) {
      resealed.push(row.tenant_id);
    }
  }
  return { checked: rows.length, resealed, unreadable };
}

/** Whether `authorization` is the key stored for the tenant (false for an unknown tenant). */
export async function tenantKeyMatches(
  db: Db,
  box: SecretBox,
  tenantId: string,
  authorization: string,
): Promise<boolean> {
  const { rows } = await db.query<{ key_fingerprint: string; key_sealed: string }>(
    'select key_fingerprint, key_sealed from tenants where tenant_id = $1',
    [tenantId],
  );
  const row = rows[0];
  if (!row) return false;
  const stored = Buffer.from(row.key_fingerprint, 'utf8');
  const candidates = box.fingerprints(authorization);
  const index = candidates.findIndex((fp) => {
    const given = Buffer.from(fp, 'utf8');
    return given.length === stored.length && timingSafeEqual(given, stored);
  });
  if (index < 0) return false;
  // Matched under a previous encryption key: the stored value moves to the current one.
  if (index > 0) await resealTenantKey(db, box, tenantId, row.key_sealed, authorization);
  return true;
}

/** Sets the tenant's Blip commands URL (null = the default). Throws TenantNotFoundError. */
export async function setTenantCommandsUrl(db: Db, tenantId: string, url: string | null): Promise<void> {
  checkCommandsUrl(url);
  const res = await db.query(
    'update tenants set commands_url = $2, updated_at = now() where tenant_id = $1',
    [tenantId, url],
  );
  if (res.rowCount !== 1) throw new TenantNotFoundError(tenantId);
}

/**
 * Sets the zone the tenant's documents show dates in. Throws TypeError for a name Intl does not
 * know (so a typo never reaches a PDF), TenantNotFoundError for an unknown tenant.
 */
export async function setTenantTimeZone(db: Db, tenantId: string, timeZone: string): Promise<string> {
  const zone = canonicalTimeZone(timeZone);
  if (!zone) throw new TypeError(`not an IANA time zone: ${JSON.stringify(timeZone.slice(0, 60))}`);
  const res = await db.query('update tenants set time_zone = $2, updated_at = now() where tenant_id = $1', [
    tenantId,
    zone,
  ]);
  if (res.rowCount !== 1) throw new TenantNotFoundError(tenantId);
  return zone;
}

/** Names the tenant as people know it (the PDF cover's company, the UI's header). Throws TenantNotFoundError. */
export async function setTenantName(db: Db, tenantId: string, name: string | null): Promise<void> {
  const value = name?.replace(/\s+/g, ' ').trim().slice(0, 120) || null;
  const res = await db.query('update tenants set name = $2, updated_at = now() where tenant_id = $1', [
    tenantId,
    value,
  ]);
  if (res.rowCount !== 1) throw new TenantNotFoundError(tenantId);
}

/**
 * Sets the name only while the tenant has none: the portal tells us the bot's name at login, but
 * a name an operator set (`tenants set-name`) is never overwritten by it.
 */
export async function fillTenantName(db: Db, tenantId: string, name: string): Promise<void> {
  const value = name.replace(/\s+/g, ' ').trim().slice(0, 120);
  if (!value) return;
  await db.query('update tenants set name = $2, updated_at = now() where tenant_id = $1 and name is null', [
    tenantId,
    value,
  ]);
}

/** Every tenant id this installation has stored a key for. */
export async function listTenantIds(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ tenant_id: string }>('select tenant_id from tenants order by tenant_id');
  return rows.map((r) => r.tenant_id);
}
