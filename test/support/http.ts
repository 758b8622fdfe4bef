import { request, type Agent, type IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';

/** A report batch of `samples` host-metric samples, as agents send it. */
export function reportBatch(samples: number, t0 = Date.now()) {
  return {
    batchId: randomUUID(),
    sequence: 1,
    createdAt: new Date().toISOString(),
    payloads: [
      {
        kind: 'host-metrics' as const,
        host: 'test-host',
        series: [
          {
            name: 'node_load1',
            labels: {},
            points: Array.from({ length: samples }, (_, i) => [t0 + i * 1000, i / 10]),
          },
        ],
      },
    ],
  };
}

export interface SlowUpload {
  /** Sends the rest of the body. */
  finish(): void;
  /** The response: status and body text (rejects when the connection fails). */
  response: Promise<{ status: number; text: string }>;
  destroy(): void;
}

/**
 * A POST whose body is sent in two parts: the first at once, the rest on `finish()`. Between the
 * two the request is in flight on the server (it is reading the body).
 */
export function slowUpload(
  url: string,
  headers: Record<string, string>,
  body: string,
  opts: { agent?: Agent } = {},
): SlowUpload {
  const bytes = Buffer.from(body);
  const half = Math.floor(bytes.length / 2);
  const req = request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': String(bytes.length), ...headers },
    ...(opts.agent ? { agent: opts.agent } : {}),
  });
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.on('response', (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  // Callers that stop caring (a failed assertion) must not leave an unhandled rejection behind.
  response.catch(() => undefined);
  req.write(bytes.subarray(0, half));
  return {
    finish: () => req.end(bytes.subarray(half)),
    response,
    destroy: () => req.destroy(),
  };
}
