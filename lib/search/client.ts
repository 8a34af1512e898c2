import { isIP } from 'node:net';
import Typesense from 'typesense';
import { parseHostPort } from '../config';

export type SearchClient = InstanceType<typeof Typesense.Client>;

/**
 * A Typesense client for one server (`url`) or a cluster (`nodes`, `host:port` each, spoken to with
 * `url`'s scheme). With several nodes typesense-js sends each request to the next node in turn and,
 * when one fails (connection refused, timeout, 5xx), retries it on the following node and leaves
 * the failed one out for `healthcheckIntervalSeconds`: a search keeps working while the raft leader
 * is gone and a new one is elected. Writes reach the leader through whichever node gets them
 * (Typesense forwards them); during the election they fail and the activity's retry repeats them.
 */
export function createSearchClient(
  url: string,
  apiKey: string,
  timeoutSeconds = 30,
  nodes: readonly string[] = [],
): SearchClient {
  const u = new URL(url);
  const protocol = u.protocol.replace(':', '');
  const single = [
    { host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)), protocol },
  ];
  const list = nodes.length
    ? nodes.map((n) => {
        const hp = parseHostPort(n);
        if (!hp) throw new Error(`TYPESENSE_NODES: ${n} is not host:port`);
        // typesense-js writes `${protocol}://${host}:${port}`: an IPv6 host keeps its brackets.
        return { host: isIP(hp.host) === 6 ? `[${hp.host}]` : hp.host, port: hp.port, protocol };
      })
    : single;
  return new Typesense.Client({
    nodes: list,
    apiKey,
    // The client's 5 s default is too short for bulk imports.
    connectionTimeoutSeconds: timeoutSeconds,
    // One retry more than there are other nodes, so a request tries every node at least once.
    numRetries: Math.max(2, list.length + 1),
    retryIntervalSeconds: 0.5,
    // A failed node is tried again after this long (typesense-js' default is 60 s, longer than a
    // restarted node needs to catch up).
    healthcheckIntervalSeconds: 15,
    logLevel: 'silent' as never,
  });
}
