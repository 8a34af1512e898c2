import fs from 'node:fs';
import path from 'node:path';
import { dataDir } from '../paths';
import { readPid } from '../processes';
import type { StackConfig } from '../stack-config';
import type { LocalService, ServiceStatus } from './service';
import { typesenseService } from './typesense';

/**
 * Typesense as production runs it: a raft cluster of three nodes, here all on loopback, each with its
 * own API port, peering port and data directory, joined by a nodes file
 * (`127.0.0.1:<peering>:<api>,…`). Writes go to the leader (a follower forwards them); every node
 * answers searches. The product reaches them through TYPESENSE_NODES (lib/search/client.ts).
 */
export interface TypesenseNode {
  index: number;
  name: string;
  apiPort: number;
  peeringPort: number;
  url: string;
  dataDir: string;
  service: LocalService;
}

export interface TypesenseCluster extends LocalService {
  nodes: TypesenseNode[];
  /** `host:port` of every node, the value of TYPESENSE_NODES. */
  nodeList: string;
  /** The node whose raft state is leader, or null while none is (an election). */
  leader(): Promise<TypesenseNode | null>;
  /** Raft state of each node as /debug reports it (1 leader, 4 follower; null: not answering). */
  states(): Promise<(number | null)[]>;
}

/** Raft node states as Typesense 0.24's /debug reports them (braft's State enum). */
export const RAFT_LEADER = 1;
export const RAFT_FOLLOWER = 4;

export const CLUSTER_SIZE = 3;

/**
 * The stack's cluster ports: node i (0-based) serves its API on TYPESENSE_PORT + 10·i and peers on
 * the port below it, so node 0 sits where the single node does and TYPESENSE_URL still reaches it.
 */
export function clusterPorts(config: StackConfig): { apiPort: number; peeringPort: number }[] {
  return Array.from({ length: CLUSTER_SIZE }, (_, i) => {
    const apiPort = config.TYPESENSE_PORT + 10 * i;
    return { apiPort, peeringPort: apiPort - 1 };
  });
}

export function typesenseCluster(
  config: StackConfig,
  options: {
    name?: string;
    dir?: string;
    ports?: { apiPort: number; peeringPort: number }[];
  } = {},
): TypesenseCluster {
  const name = options.name ?? 'typesense-cluster';
  const dir = options.dir ?? path.join(dataDir, 'typesense-cluster');
  const ports = options.ports ?? clusterPorts(config);
  const nodesFile = path.join(dir, 'nodes');
  const nodes: TypesenseNode[] = ports.map(({ apiPort, peeringPort }, index) => {
    const nodeName = `${name}-${index + 1}`;
    const nodeDir = path.join(dir, `node${index + 1}`);
    return {
      index,
      name: nodeName,
      apiPort,
      peeringPort,
      url: `http://127.0.0.1:${apiPort}`,
      dataDir: nodeDir,
      service: typesenseService(config, {
        name: nodeName,
        dataDir: nodeDir,
        port: apiPort,
        peeringPort,
        nodesFile,
      }),
    };
  });
  const nodeList = nodes.map((n) => `127.0.0.1:${n.apiPort}`).join(',');

  async function state(node: TypesenseNode): Promise<number | null> {
    try {
      const res = await fetch(`${node.url}/debug`, {
        headers: { 'X-TYPESENSE-API-KEY': config.TYPESENSE_API_KEY },
        signal: AbortSignal.timeout(2000),
      });
      if (!res.ok) return null;
      const body = (await res.json()) as { state?: number };
      return typeof body.state === 'number' ? body.state : null;
    } catch {
      return null;
    }
  }
  const states = () => Promise.all(nodes.map(state));
  const healthy = async () => (await Promise.all(nodes.map((n) => n.service.healthy()))).every(Boolean);

  return {
    name,
    nodes,
    nodeList,
    states,
    async leader() {
      const all = await states();
      const i = all.indexOf(RAFT_LEADER);
      return i >= 0 ? (nodes[i] ?? null) : null;
    },
    healthy,
    async start() {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(nodesFile, nodes.map((n) => `127.0.0.1:${n.peeringPort}:${n.apiPort}`).join(','));
      // All at once: a node is healthy only once the cluster has elected a leader, which needs a quorum.
      const results = await Promise.allSettled(
        nodes.map(async (n) => {
          if (!(await n.service.healthy())) await n.service.start();
        }),
      );
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length > 0) throw new Error(failed.map((f) => (f.reason as Error).message).join('\n'));
    },
    async stop() {
      const stopped = await Promise.all(nodes.map((n) => n.service.stop()));
      return stopped.some(Boolean);
    },
    async status(): Promise<ServiceStatus> {
      const [first, all] = await Promise.all([nodes[0]?.service.status(), states()]);
      const roles = all.map((s, i) => {
        const role =
          s === RAFT_LEADER
            ? 'leader'
            : s === RAFT_FOLLOWER
              ? 'follower'
              : s === null
                ? 'down'
                : `state ${s}`;
        return `:${nodes[i]?.apiPort} ${role}`;
      });
      return {
        name,
        running: nodes.some((n) => readPid(n.name) !== null),
        healthy: await healthy(),
        version: `${first?.version ?? '?'} × ${nodes.length}`,
        address: roles.join(', '),
        dataDir: dir,
      };
    },
    wipe: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
