import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import pg from 'pg';
import { probeVersion, provisionedPath, resolveBinary } from '../binaries';
import { dataDir } from '../paths';
import { readPid, startDetached, stopProcess, tailLog, waitFor } from '../processes';
import { loadPins, temporalSchemaDir } from '../provision';
import type { StackConfig } from '../stack-config';
import { httpOk } from './net';
import { POSTGRES_USER, postgresPort, postgresUrl } from './postgres';
import type { LocalService, ServiceStatus } from './service';

const SEARCH_ATTRIBUTES = ['TenantId', 'TicketId'];
const NAMESPACE = 'default';
/** How long the namespace keeps closed workflows (the dev server keeps them a day; the runbook needs them). */
const RETENTION_DAYS = 3;
export const TEMPORAL_DATABASES = { default: 'temporal', visibility: 'temporal_visibility' } as const;

/**
 * The ports of the full server, all on loopback and derived from TEMPORAL_PORT (the frontend's gRPC
 * port, where the SDKs and the CLI connect) so several stacks on one machine do not collide:
 * +1 is TEMPORAL_UI_PORT's usual place, so the internal services sit at +10…+23.
 */
export function temporalServerPorts(config: StackConfig) {
  const base = config.TEMPORAL_PORT;
  return {
    frontend: base,
    frontendHttp: base + 10,
    history: base + 11,
    matching: base + 12,
    worker: base + 13,
    frontendMembership: base + 20,
    historyMembership: base + 21,
    matchingMembership: base + 22,
    workerMembership: base + 23,
  };
}

/**
 * The server's config file (JSON, which is YAML too). Persistence is the stack's Postgres through the
 * `postgres12` SQL plugin with advanced visibility, so listing workflows by TenantId/TicketId works as
 * on Temporal Cloud; archival is off.
 */
export function temporalServerConfig(config: StackConfig, pgPort: number, dynamicConfigFile: string) {
  const p = temporalServerPorts(config);
  const sql = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `127.0.0.1:${pgPort}`,
      connectProtocol: 'tcp',
      user: POSTGRES_USER,
      password: '',
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const rpc = (grpcPort: number, membershipPort: number, httpPort?: number) => ({
    rpc: { grpcPort, membershipPort, bindOnIP: '127.0.0.1', ...(httpPort ? { httpPort } : {}) },
  });
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: config.TEMPORAL_HISTORY_SHARDS,
      datastores: {
        default: sql(TEMPORAL_DATABASES.default, 20),
        visibility: sql(TEMPORAL_DATABASES.visibility, 10),
      },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: rpc(p.frontend, p.frontendMembership, p.frontendHttp),
      history: rpc(p.history, p.historyMembership),
      matching: rpc(p.matching, p.matchingMembership),
      worker: rpc(p.worker, p.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${p.frontend}`,
          httpAddress: `127.0.0.1:${p.frontendHttp}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
}

/**
 * Dynamic config: what the CLI's dev server turns on that the product relies on (search attributes
 * usable right after they are added, eager workflow start, updates), production defaults otherwise.
 * The forced search-attribute refresh (a persistence read on every start that carries them) is
 * only on while `up` adds them: once the frontend lists them, its cache holds them, and the server
 * reads this file again within its poll interval (TEMPORAL_SERVING_DYNAMIC_CONFIG).
 */
export const TEMPORAL_DYNAMIC_CONFIG: Record<string, { value: unknown }[]> = {
  'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true }],
  'system.enableEagerWorkflowStart': [{ value: true }],
  'frontend.enableUpdateWorkflowExecution': [{ value: true }],
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted': [{ value: true }],
};

/** The dynamic config once the search attributes are listed: production's cached search attributes. */
export const TEMPORAL_SERVING_DYNAMIC_CONFIG: Record<string, { value: unknown }[]> = {
  ...TEMPORAL_DYNAMIC_CONFIG,
  'system.forceSearchAttributesCacheRefreshOnRead': [{ value: false }],
};

async function pgQuery(port: number, sql: string, params: unknown[] = [], database = 'postgres') {
  const client = new pg.Client({
    connectionString: postgresUrl(port, database),
    connectionTimeoutMillis: 5000,
  });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/**
 * The full Temporal server (frontend, history, matching and worker services in one process) on the
 * stack's Postgres, plus the Temporal Web UI server pointed at its frontend on TEMPORAL_UI_PORT.
 */
export function temporalServerService(config: StackConfig): LocalService {
  const name = 'temporal-server';
  const uiName = 'temporal-ui';
  const dir = path.join(dataDir, 'temporal-server');
  const address = `127.0.0.1:${config.TEMPORAL_PORT}`;
  const uiUrl = `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`;
  const bin = (service: string, envVar: string, envValue: string | undefined, file: string) =>
    resolveBinary({
      service,
      envVar,
      envValue,
      pathNames: [file],
      fallbacks: [provisionedPath(file)],
      fix: `run \`npm run stack -- provision --temporal server\` (builds it from the Go module proxy) or set ${envVar}`,
    }).path;
  const serverBin = () => bin(name, 'TEMPORAL_SERVER_BIN', config.TEMPORAL_SERVER_BIN, 'temporal-server');
  const sqlTool = () => bin(name, 'TEMPORAL_SQL_TOOL_BIN', config.TEMPORAL_SQL_TOOL_BIN, 'temporal-sql-tool');
  const uiBin = () =>
    bin(uiName, 'TEMPORAL_UI_SERVER_BIN', config.TEMPORAL_UI_SERVER_BIN, 'temporal-ui-server');
  const shardsFile = path.join(dir, 'history-shards');

  async function withConnection<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    const connection = await Connection.connect({ address, connectTimeout: 2000 });
    try {
      return await fn(connection);
    } finally {
      await connection.close();
    }
  }

  async function missingSearchAttributes(c: Connection): Promise<string[]> {
    const res = await c.operatorService.listSearchAttributes({ namespace: NAMESPACE });
    return SEARCH_ATTRIBUTES.filter((a) => !res.customAttributes?.[a]);
  }
  const healthy = () => withConnection(async (c) => (await missingSearchAttributes(c)).length === 0);

  /** Databases and schema through Temporal's own SQL tool (create, then versioned updates: idempotent). */
  async function setupSchema(pgPort: number) {
    const tool = sqlTool();
    const common = [
      '--plugin',
      'postgres12',
      '--ep',
      '127.0.0.1',
      '--port',
      String(pgPort),
      '--user',
      POSTGRES_USER,
    ];
    for (const [kind, db] of Object.entries(TEMPORAL_DATABASES)) {
      const schemaDir = path.join(
        temporalSchemaDir(),
        kind === 'default' ? 'temporal' : 'visibility',
        'versioned',
      );
      if (!fs.existsSync(schemaDir))
        throw new Error(
          `${name}: schema ${schemaDir} missing; run \`npm run stack -- provision --temporal server\``,
        );
      const run = (...args: string[]) =>
        execFileSync(tool, [...common, '--db', db, ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
          timeout: 120_000,
        });
      const exists = await pgQuery(pgPort, 'select 1 from pg_database where datname = $1', [db]);
      if (exists.rowCount === 0) run('create-database');
      const versioned = await pgQuery(
        pgPort,
        "select 1 from information_schema.tables where table_name = 'schema_version'",
        [],
        db,
      );
      if (versioned.rowCount === 0) run('setup-schema', '-v', '0.0');
      run('update-schema', '-d', schemaDir);
    }
  }

  /** The shard count is fixed when the database is first used; a different setting needs `up --fresh`. */
  function checkShards() {
    const want = String(config.TEMPORAL_HISTORY_SHARDS);
    const had = fs.existsSync(shardsFile) ? fs.readFileSync(shardsFile, 'utf8').trim() : null;
    if (had !== null && had !== want)
      throw new Error(
        `${name}: its database was created with ${had} history shards, TEMPORAL_HISTORY_SHARDS is ${want}; a shard count cannot change (npm run stack -- up --fresh --temporal server starts over)`,
      );
    fs.writeFileSync(shardsFile, want);
  }

  async function ensureNamespace(c: Connection) {
    try {
      await c.workflowService.describeNamespace({ namespace: NAMESPACE });
    } catch (err) {
      if ((err as { code?: number }).code !== 5) throw err; // gRPC NOT_FOUND
      await c.workflowService
        .registerNamespace({
          namespace: NAMESPACE,
          workflowExecutionRetentionPeriod: msToTs(`${RETENTION_DAYS} days`),
        })
        .catch((e: { code?: number }) => {
          if (e.code !== 6) throw e; // ALREADY_EXISTS: another start got there first
        });
    }
  }

  async function ensureSearchAttributes(c: Connection) {
    const missing = await missingSearchAttributes(c);
    if (missing.length === 0) return;
    const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    await c.operatorService.addSearchAttributes({
      namespace: NAMESPACE,
      searchAttributes: Object.fromEntries(missing.map((a) => [a, keyword])),
    });
  }

  async function startUi() {
    const uiDir = path.join(dir, 'ui');
    fs.mkdirSync(path.join(uiDir, 'config'), { recursive: true });
    // The UI server reads <root>/<config dir>/<env>.yaml; JSON is YAML.
    const uiConfig = {
      temporalGrpcAddress: address,
      host: '127.0.0.1',
      port: config.TEMPORAL_UI_PORT,
      enableUi: true,
      defaultNamespace: NAMESPACE,
      refreshInterval: '1m',
      hideLogs: true,
      // Plain http on loopback (as the dev server's UI): its CSRF cookie cannot be Secure; no news feed fetch.
      cors: { allowOrigins: [], unsafeAllowAllOrigins: false, cookieInsecure: true },
      disableNewsFetch: true,
      auth: { enabled: false },
    };
    fs.writeFileSync(path.join(uiDir, 'config', 'stack.yaml'), `${JSON.stringify(uiConfig, null, 2)}\n`);
    const pid = startDetached(uiName, uiBin(), [
      '--root',
      uiDir,
      '--config',
      'config',
      '--env',
      'stack',
      'start',
    ]);
    await waitFor(`${name} web UI`, () => httpOk(`${uiUrl}/`), {
      timeoutMs: 30_000,
      alive: () => readPid(uiName) === pid,
    }).catch((err) => {
      throw new Error(`${(err as Error).message}; last log lines:\n${tailLog(uiName)}`);
    });
  }

  return {
    name,
    healthy: () => healthy().catch(() => false),
    async start() {
      fs.mkdirSync(dir, { recursive: true });
      const pgPort = await postgresPort(config);
      checkShards();
      await setupSchema(pgPort);
      const dynamicConfigFile = path.join(dir, 'dynamic-config.yaml');
      fs.writeFileSync(dynamicConfigFile, `${JSON.stringify(TEMPORAL_DYNAMIC_CONFIG, null, 2)}\n`);
      const configFile = path.join(dir, 'config.yaml');
      fs.writeFileSync(
        configFile,
        `${JSON.stringify(temporalServerConfig(config, pgPort, dynamicConfigFile), null, 2)}\n`,
      );
      const pid = startDetached(name, serverBin(), ['--config-file', configFile, '--allow-no-auth', 'start']);
      const alive = () => readPid(name) === pid;
      const fail = (err: unknown) => {
        throw new Error(`${(err as Error).message}; last log lines:\n${tailLog(name)}`);
      };
      // The frontend answers first; the namespace cache then takes up to its refresh interval to
      // see a namespace registered at start.
      await waitFor(
        `${name} namespace ${NAMESPACE}`,
        () =>
          withConnection(async (c) => {
            await ensureNamespace(c);
            await ensureSearchAttributes(c);
            return true;
          }),
        { timeoutMs: 120_000, intervalMs: 1000, alive },
      ).catch(fail);
      await waitFor(name, healthy, { timeoutMs: 60_000, alive }).catch(fail);
      fs.writeFileSync(dynamicConfigFile, `${JSON.stringify(TEMPORAL_SERVING_DYNAMIC_CONFIG, null, 2)}\n`);
      if (readPid(uiName) === null) await startUi();
    },
    async stop() {
      const ui = await stopProcess(uiName);
      return (await stopProcess(name)) || ui;
    },
    async status(): Promise<ServiceStatus> {
      const running = readPid(name) !== null;
      const ok = await healthy().catch(() => false);
      let version = '?';
      try {
        version = probeVersion(name, serverBin(), ['--version']).replace(/^.*version\s+/i, 'server ');
      } catch (err) {
        version = (err as Error).message;
      }
      const ui =
        readPid(uiName) !== null
          ? ` (web UI ${uiUrl}, ui-server ${loadPins().temporalUiServer.version})`
          : ' (no web UI)';
      return {
        name,
        running,
        healthy: ok,
        version: `Temporal ${version}, ${config.TEMPORAL_HISTORY_SHARDS} history shards`,
        address: `${address}${ui}`,
        dataDir: `${dir} + Postgres databases ${Object.values(TEMPORAL_DATABASES).join(', ')}`,
      };
    },
    wipe: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
