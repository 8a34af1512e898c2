import { ConfigError, loadConfig } from '../../lib/config';
import { createSearchClient } from '../../lib/search/client';

/** TYPESENSE_NODES: a cluster's nodes for the search client, validated like every setting. */

const nodesOf = (client: ReturnType<typeof createSearchClient>) =>
  (
    client.configuration as unknown as { nodes: Array<{ host: string; port: number; protocol: string }> }
  ).nodes.map((n) => `${n.protocol}://${n.host}:${n.port}`);

test('unset, the client has the one node of TYPESENSE_URL', () => {
  const config = loadConfig({ TYPESENSE_URL: 'http://127.0.0.1:8108' });
  expect(config.TYPESENSE_NODES).toEqual([]);
  const client = createSearchClient(
    config.TYPESENSE_URL,
    config.TYPESENSE_API_KEY,
    5,
    config.TYPESENSE_NODES,
  );
  expect(nodesOf(client)).toEqual(['http://127.0.0.1:8108']);
});

test('a node list gives the client every node with TYPESENSE_URL scheme, and retries across all of them', () => {
  const config = loadConfig({
    TYPESENSE_URL: 'https://typesense.internal',
    TYPESENSE_NODES: ' ts-0.typesense:8108, 10.0.0.2:8108 ,[fd00::3]:8108 ',
  });
  expect(config.TYPESENSE_NODES).toEqual(['ts-0.typesense:8108', '10.0.0.2:8108', '[fd00::3]:8108']);
  const client = createSearchClient(
    config.TYPESENSE_URL,
    config.TYPESENSE_API_KEY,
    5,
    config.TYPESENSE_NODES,
  );
  // typesense-js shuffles the nodes (spreading clients over them).
  expect(nodesOf(client).sort()).toEqual([
    'https://10.0.0.2:8108',
    'https://[fd00::3]:8108',
    'https://ts-0.typesense:8108',
  ]);
  expect(client.configuration.numRetries).toBeGreaterThanOrEqual(3);
});

test.each([
  ['a host without a port', 'ts-0'],
  ['a URL instead of host:port', 'http://ts-0:8108'],
  ['port 0', 'ts-0:0'],
  ['a port above 65535', 'ts-0:70000'],
  ['a path', 'ts-0:8108/x'],
  ['an unbracketed IPv6 address', 'fd00::3:8108'],
  ['a bracketed name', '[ts-0]:8108'],
])('TYPESENSE_NODES with %s is refused naming the variable', (_why, value) => {
  let err: unknown = null;
  try {
    loadConfig({ TYPESENSE_NODES: `127.0.0.1:8108,${value}` });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as Error).message).toMatch(/TYPESENSE_NODES/);
  expect((err as Error).message).toMatch(/host:port/);
});
