import pino, { type DestinationStream } from 'pino';

/**
 * One logger for every process. Bot keys travel in `auth` bodies and `Authorization` headers:
 * both are redacted wherever they appear, so a key never reaches a log line.
 */
export function createLogger(level: string, name: string, destination?: DestinationStream) {
  return pino(
    {
      name,
      level,
      redact: {
        paths: [
          'auth',
          '*.auth',
          'body.auth',
          'req.body.auth',
          'authorization',
          '*.authorization',
          'headers.authorization',
          'req.headers.authorization',
          'req.headers.cookie',
          'key',
          '*.key',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

export type Logger = ReturnType<typeof createLogger>;
