import Typesense from 'typesense';

export type SearchClient = InstanceType<typeof Typesense.Client>;

export function createSearchClient(url: string, apiKey: string, timeoutSeconds = 30): SearchClient {
  const u = new URL(url);
  return new Typesense.Client({
    nodes: [
      {
        host: u.hostname,
        port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
        protocol: u.protocol.replace(':', ''),
      },
    ],
    apiKey,
    // The client's 5 s default is too short for bulk imports.
    connectionTimeoutSeconds: timeoutSeconds,
    numRetries: 2,
    retryIntervalSeconds: 0.5,
    logLevel: 'silent' as never,
  });
}
