import { z } from 'zod';

/** Ports and keys of the local stack; each overridable from the environment (see .env.example). */
const port = z.coerce.number().int().min(1).max(65535);

const schema = z.object({
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  /** When unset, 5432 or the next free port is used (and remembered in .stack/run). */
  POSTGRES_PORT: port.optional(),
  TYPESENSE_PORT: port.default(8108),
  TYPESENSE_API_KEY: z.string().min(8).default('ticket-vault-dev-key'),
  GCS_PORT: port.default(4443),
  API_PORT: port.default(3000),
  /**
   * Which Temporal the stack runs: `dev` (the CLI's dev server on SQLite, the default) or `server`
   * (the full server built from the Go module proxy, persistence in the stack's Postgres).
   * `npm run stack -- up --temporal server` sets it for one command.
   */
  STACK_TEMPORAL: z.enum(['dev', 'server']).optional(),
  /** `single` (one Typesense, the default) or `cluster` (three nodes in a raft cluster on loopback). */
  STACK_SEARCH: z.enum(['single', 'cluster']).optional(),
  /** History shards of the full Temporal server; fixed once its database exists (`up --fresh` to change). */
  TEMPORAL_HISTORY_SHARDS: z.coerce.number().int().min(1).max(16384).default(4),
  TEMPORAL_BIN: z.string().optional(),
  /** The full Temporal server, its SQL schema tool and the standalone Web UI server (`--temporal server`). */
  TEMPORAL_SERVER_BIN: z.string().optional(),
  TEMPORAL_SQL_TOOL_BIN: z.string().optional(),
  TEMPORAL_UI_SERVER_BIN: z.string().optional(),
  TYPESENSE_BIN: z.string().optional(),
  FAKE_GCS_BIN: z.string().optional(),
  /** Temporal's time-skipping test server, for the workflow tests (test/workflow) only. */
  TEMPORAL_TEST_SERVER_BIN: z.string().optional(),
  PG_BIN_DIR: z.string().optional(),
  CHROMIUM_PATH: z.string().optional(),
});

export type StackConfig = z.infer<typeof schema>;

export function loadStackConfig(env: NodeJS.ProcessEnv = process.env): StackConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid stack configuration:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}
