import {
  TEMPORAL_DATABASES,
  temporalServerConfig,
  temporalServerPorts,
} from '../../infra/services/temporal-server';
import { clusterPorts } from '../../infra/services/typesense-cluster';
import { loadStackConfig } from '../../infra/stack-config';

/**
 * The production-shaped stack options: ports of the full Temporal server and of the Typesense
 * cluster derive from the stack's own ports, so two stacks on one machine (or the UI) never collide.
 */

const stacks = [
  loadStackConfig({}),
  loadStackConfig({ TEMPORAL_PORT: '12233', TEMPORAL_UI_PORT: '12234', TYPESENSE_PORT: '12108' }),
];

test.each(stacks.map((c) => [c.TEMPORAL_PORT, c]))(
  'the full server on :%i uses distinct ports, none of them the Web UI port',
  (_port, config) => {
    const ports = Object.values(temporalServerPorts(config));
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports).not.toContain(config.TEMPORAL_UI_PORT);
    expect(temporalServerPorts(config).frontend).toBe(config.TEMPORAL_PORT);
  },
);

test('the full server config: the stack Postgres, its two databases, the configured shard count, loopback only', () => {
  const config = loadStackConfig({ TEMPORAL_HISTORY_SHARDS: '8' });
  const server = temporalServerConfig(config, 5433, '/tmp/dc.yaml');
  expect(server.persistence.numHistoryShards).toBe(8);
  expect(server.persistence.datastores.default.sql).toMatchObject({
    pluginName: 'postgres12',
    databaseName: TEMPORAL_DATABASES.default,
    connectAddr: '127.0.0.1:5433',
  });
  expect(server.persistence.datastores.visibility.sql.databaseName).toBe(TEMPORAL_DATABASES.visibility);
  for (const svc of Object.values(server.services)) expect(svc.rpc.bindOnIP).toBe('127.0.0.1');
  expect(() => loadStackConfig({ TEMPORAL_HISTORY_SHARDS: '0' })).toThrow(/TEMPORAL_HISTORY_SHARDS/);
  expect(() => loadStackConfig({ STACK_TEMPORAL: 'cloud' })).toThrow(/STACK_TEMPORAL/);
});

test('the cluster: three nodes, the first where the single node is, no API port a peering port of another', () => {
  const config = loadStackConfig({ TYPESENSE_PORT: '12108' });
  const nodes = clusterPorts(config);
  expect(nodes).toHaveLength(3);
  expect(nodes[0]?.apiPort).toBe(12108);
  const all = nodes.flatMap((n) => [n.apiPort, n.peeringPort]);
  expect(new Set(all).size).toBe(6);
});
