import { createServer, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestControlPlane } from '../../../test/support/control-plane.js';

/**
 * With an OTLP endpoint configured, requests produce spans exported over OTLP/HTTP. The receiver is
 * a minimal loopback HTTP server that records what the exporter posts to /v1/traces.
 */
describe('OpenTelemetry tracing', () => {
  let server: Server | undefined;
  afterAll(() => server?.close());

  it('exports one span per request, named by route template', async () => {
    const bodies: string[] = [];
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/v1/traces') bodies.push(Buffer.concat(chunks).toString('latin1'));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const t = await startTestControlPlane({
      overrides: { otel: { endpoint: `http://127.0.0.1:${port}/v1/traces` } },
    });
    try {
      expect((await t.request('/healthz')).status).toBe(200);
      expect((await t.request('/api/v1/agents/00000000-0000-4000-8000-000000000000')).status).toBe(401);
    } finally {
      await t.close(); // shutting down flushes the span processor
    }
    const all = bodies.join('\n');
    expect(all).toContain('GET /healthz');
    expect(all).toContain('GET /api/v1/agents/:id');
    expect(all).toContain('tianshu-control-plane');
  }, 60_000);
});
