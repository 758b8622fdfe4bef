import http from 'node:http';
import https from 'node:https';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, HttpStatusError, NetworkError, parseRetryAfter } from './client.js';
import { makeTestPki } from '../testing/certs.js';
import type { TestPki } from '../testing/certs.js';

interface Seen {
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
}

function echoHandler(seen: Seen[]) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ headers: req.headers, raw: Buffer.concat(chunks) });
      if (req.url === '/error') {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
        res.end(JSON.stringify({ error: { code: 'slow_down', message: 'too many reports' } }));
        return;
      }
      if (req.url === '/hang') return;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: true, path: req.url }));
    });
  };
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

describe('HttpClient over https', () => {
  let pki: TestPki;
  let other: TestPki;
  let server: https.Server;
  let port: number;
  const seen: Seen[] = [];

  beforeAll(async () => {
    pki = makeTestPki('trusted');
    other = makeTestPki('other');
    server = https.createServer({ key: pki.key, cert: pki.cert }, echoHandler(seen));
    port = await listen(server);
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('talks to a server whose certificate chains to the configured ca', async () => {
    const c = new HttpClient({ baseUrl: `https://127.0.0.1:${port}`, ca: pki.ca });
    await expect(c.json('GET', '/hello')).resolves.toEqual({ ok: true, path: '/hello' });
    c.close();
  });

  it('refuses a server certificate signed by another ca', async () => {
    const c = new HttpClient({ baseUrl: `https://127.0.0.1:${port}`, ca: other.ca });
    const err = await c.json('GET', '/hello').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).message).toMatch(/not trusted|certificate/);
    c.close();
  });

  it('refuses a private certificate when no ca is configured', async () => {
    const c = new HttpClient({ baseUrl: `https://127.0.0.1:${port}` });
    await expect(c.json('GET', '/hello')).rejects.toBeInstanceOf(NetworkError);
    c.close();
  });

  it('sends the agent authorization header', async () => {
    const c = new HttpClient({
      baseUrl: `https://127.0.0.1:${port}`,
      ca: pki.ca,
      agentId: 'a1',
      credential: 'sekret',
    });
    await c.json('GET', '/auth');
    expect(seen.at(-1)!.headers.authorization).toBe('Bearer a1.sekret');
    c.close();
  });
});

describe('HttpClient over http', () => {
  let server: http.Server;
  let port: number;
  const seen: Seen[] = [];
  beforeAll(async () => {
    server = http.createServer(echoHandler(seen));
    port = await listen(server);
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('gzips json bodies above 1 KiB and leaves small ones alone', async () => {
    const c = new HttpClient({ baseUrl: `http://127.0.0.1:${port}` });
    await c.json('POST', '/small', { a: 'x'.repeat(100) });
    const small = seen.at(-1)!;
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(small.raw.toString())).toEqual({ a: 'x'.repeat(100) });

    const big = { a: 'y'.repeat(5000) };
    await c.json('POST', '/big', big);
    const sent = seen.at(-1)!;
    expect(sent.headers['content-encoding']).toBe('gzip');
    expect(sent.raw.length).toBeLessThan(1024);
    expect(JSON.parse(gunzipSync(sent.raw).toString())).toEqual(big);
    c.close();
  });

  it('turns an error answer into HttpStatusError with the server message and Retry-After', async () => {
    const c = new HttpClient({ baseUrl: `http://127.0.0.1:${port}` });
    const err = (await c.json('POST', '/error', {}).catch((e: unknown) => e)) as HttpStatusError;
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(err.status).toBe(429);
    expect(err.message).toBe('too many reports');
    expect(err.code).toBe('slow_down');
    expect(err.retryAfterMillis).toBe(7000);
    c.close();
  });

  it('times out a request that gets no answer', async () => {
    const c = new HttpClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMillis: 100 });
    const err = (await c.json('GET', '/hang').catch((e: unknown) => e)) as NetworkError;
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.code).toBe('ETIMEDOUT');
    c.close();
  });

  it('keeps a path prefix of the base url', async () => {
    const c = new HttpClient({ baseUrl: `http://127.0.0.1:${port}/tianshu/` });
    await expect(c.json('GET', '/api/v1/x')).resolves.toEqual({ ok: true, path: '/tianshu/api/v1/x' });
    c.close();
  });

  it('reports a refused connection as a network error', async () => {
    const probe = http.createServer();
    const freePort = await listen(probe);
    probe.close();
    const c = new HttpClient({ baseUrl: `http://127.0.0.1:${freePort}` });
    await expect(c.json('GET', '/')).rejects.toThrow(/connection refused/);
    c.close();
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and http dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:10 GMT', 4000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
