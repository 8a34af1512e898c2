import fs from 'node:fs';
import type { Config } from '../config';
import { ConfigError } from '../config';

/**
 * Connection options for Temporal, shared by the worker (NativeConnection) and the API and CLI
 * (Connection): plain data, so lib/ stays free of the SDK. Locally it is just the address; Temporal
 * Cloud takes either an API key or an mTLS client certificate, both over TLS.
 */
export interface TemporalConnectionOptions {
  address: string;
  tls?: boolean | { clientCertPair: { crt: Buffer; key: Buffer } };
  apiKey?: string;
}

/** A PEM value as configured: the PEM text itself, or the path of a file holding it. */
function pem(name: string, value: string): Buffer {
  if (value.includes('-----BEGIN')) return Buffer.from(value);
  try {
    return fs.readFileSync(value);
  } catch (err) {
    throw new ConfigError(`${name}: cannot read ${value}: ${(err as Error).message}`);
  }
}

export function temporalConnectionOptions(config: Config): TemporalConnectionOptions {
  const options: TemporalConnectionOptions = { address: config.TEMPORAL_ADDRESS };
  const { TEMPORAL_TLS_CERT: cert, TEMPORAL_TLS_KEY: key, TEMPORAL_API_KEY: apiKey } = config;
  if (Boolean(cert) !== Boolean(key))
    throw new ConfigError('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together');
  if (cert && key) {
    options.tls = {
      clientCertPair: { crt: pem('TEMPORAL_TLS_CERT', cert), key: pem('TEMPORAL_TLS_KEY', key) },
    };
  } else if (apiKey || config.TEMPORAL_TLS) {
    options.tls = true;
  }
  if (apiKey) options.apiKey = apiKey;
  return options;
}
