import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { runDir } from '../../infra/paths';

/** The addresses of the running stack, as the global setup found them. */
export function stackEnv(): Record<string, string> {
  return JSON.parse(fs.readFileSync(path.join(runDir, 'test-env.json'), 'utf8'));
}

export const uniqueSuffix = () => `${process.pid}_${randomBytes(4).toString('hex')}`;

/** A fresh, empty database for one test file, so tests never see each other's rows. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = stackEnv().DATABASE_URL as string;
  const name = `tv_test_${uniqueSuffix()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
