import {
  type BlipClient,
  type BlipClientOptions,
  createBlipClient,
  type RetryAttemptInfo,
} from '../../lib/blip';
import { type BlipSimulator, type BlipSimulatorOptions, createBlipSimulator } from '../../tools/blip-sim';

/**
 * A simulator on a random 127.0.0.1 port plus clients wired to it. Clients use tiny back-off
 * delays and record every sleep and retry, so tests assert attempts and delays asked for, never
 * elapsed time.
 */
export interface Harness {
  sim: BlipSimulator;
  commandsUrl: string;
  client(identifierOrKey: string, overrides?: Partial<BlipClientOptions>): RecordingClient;
  close(): Promise<void>;
}

export interface RecordingClient extends BlipClient {
  sleeps: number[];
  retries: Array<RetryAttemptInfo & { command: { method: string; uri: string } }>;
}

export async function startHarness(options: BlipSimulatorOptions = {}): Promise<Harness> {
  const sim = createBlipSimulator(options);
  const { commandsUrl } = await sim.listen(0);
  const clients: BlipClient[] = [];
  return {
    sim,
    commandsUrl,
    client(identifierOrKey, overrides = {}) {
      const authorization = identifierOrKey.startsWith('Key ')
        ? identifierOrKey
        : sim.authorizationOf(identifierOrKey);
      const sleeps: number[] = [];
      const retries: RecordingClient['retries'] = [];
      const client = createBlipClient({
        baseUrl: commandsUrl,
        authorization,
        timeoutMs: 5_000,
        retry: { retries: 2, initialDelayMs: 1, factor: 2, maxDelayMs: 5_000 },
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        onRetry: (info) => retries.push(info),
        ...overrides,
      });
      clients.push(client);
      return Object.assign(client, { sleeps, retries });
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await sim.close();
    },
  };
}

/** Drains an async iterator of pages into an array (bounded by the client's page cap). */
export async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(page);
  return out;
}
