import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { LocalService } from '../../infra/services/service';
import { typesenseService } from '../../infra/services/typesense';
import {
  CLUSTER_SIZE,
  type TypesenseCluster,
  typesenseCluster,
} from '../../infra/services/typesense-cluster';
import { loadStackConfig } from '../../infra/stack-config';

/**
 * A Typesense of its own for a test that stops and restarts it: fresh data directory, free ports
 * on loopback, removed afterwards. The stack's shared Typesense is never restarted by tests.
 */
export interface DedicatedTypesense {
  service: LocalService;
  url: string;
  close(): Promise<void>;
}

const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** A port p with p-1 free too (Typesense peers on the port below its API port). */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await isFree(port)) && (await isFree(port - 1))) return port;
  }
  throw new Error('no free port pair for a dedicated Typesense');
}

export async function startDedicatedTypesense(): Promise<DedicatedTypesense> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-typesense-'));
  const port = await freePortPair();
  const service = typesenseService(loadStackConfig(), {
    name: `typesense-test-${process.pid}-${port}`,
    dataDir,
    port,
  });
  await service.start();
  return {
    service,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await service.stop().catch(() => undefined);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Three Typesense nodes of its own in a raft cluster (fresh data directories, free loopback ports). */
export interface DedicatedTypesenseCluster {
  cluster: TypesenseCluster;
  /** TYPESENSE_NODES for it. */
  nodeList: string;
  close(): Promise<void>;
}

export async function startDedicatedTypesenseCluster(): Promise<DedicatedTypesenseCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-typesense-cluster-'));
  const ports: { apiPort: number; peeringPort: number }[] = [];
  while (ports.length < CLUSTER_SIZE) {
    const apiPort = await freePortPair();
    if (!ports.some((p) => Math.abs(p.apiPort - apiPort) < 2))
      ports.push({ apiPort, peeringPort: apiPort - 1 });
  }
  const cluster = typesenseCluster(loadStackConfig(), {
    name: `typesense-cluster-test-${process.pid}-${ports[0]?.apiPort}`,
    dir,
    ports,
  });
  try {
    await cluster.start();
  } catch (err) {
    await cluster.stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    cluster,
    nodeList: cluster.nodeList,
    async close() {
      await cluster.stop().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
