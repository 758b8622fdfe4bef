import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout; messages are lowercase sentences without trailing periods. */
export function createLogger(level: string, name = 'tianshu'): Logger {
  return pino({
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'credential',
        '*.credential',
        'req.headers.authorization',
        'req.headers.cookie',
      ],
      censor: '***',
    },
  });
}
