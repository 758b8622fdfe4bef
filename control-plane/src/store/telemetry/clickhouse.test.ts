import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseTelemetryStore } from './clickhouse.js';
import { createTelemetryStore } from './index.js';
import { startFakeClickHouseServer, type FakeClickHouseServer } from './fake-clickhouse-server.js';
import { runTelemetryStoreSuite } from './telemetry.case.js';

// A ClickHouse server cannot run on this machine; the fake speaks its HTTP interface over chDB.
let server: FakeClickHouseServer;

beforeAll(async () => {
  server = await startFakeClickHouseServer({ username: 'tianshu', password: 's3cret pass' });
});

afterAll(async () => {
  await server?.stop();
});

runTelemetryStoreSuite(
  'clickhouse over HTTP',
  async (retention) =>
    new ClickHouseTelemetryStore({
      url: server.url,
      username: server.username,
      password: server.password,
      database: 'tianshu_telemetry',
      ...(retention ? { retention } : {}),
    }),
);

describe('ClickHouseTelemetryStore', () => {
  it('checks its options at once', () => {
    const base = { url: 'http://127.0.0.1:1', username: 'u', password: '', database: 'db' };
    expect(() => new ClickHouseTelemetryStore({ ...base, url: '' })).toThrow(/requires option "url"/);
    expect(() => new ClickHouseTelemetryStore({ ...base, url: 'not a url' })).toThrow(/is not a URL/);
    expect(() => new ClickHouseTelemetryStore({ ...base, database: 'a-b' })).toThrow(/plain identifier/);
  });

  it('reports a wrong password as a TelemetryStoreError with code 516', async () => {
    const store = new ClickHouseTelemetryStore({
      url: server.url,
      username: 'tianshu',
      password: 'wrong',
      database: 'default',
    });
    await expect(store.query('SELECT 1')).rejects.toMatchObject({
      name: 'TelemetryStoreError',
      clickhouseCode: 516,
      message: expect.stringMatching(/^SELECT failed: .*Authentication failed/),
    });
    await store.close();
  });

  it('fails ping against a closed port', async () => {
    const store = new ClickHouseTelemetryStore({
      url: 'http://127.0.0.1:9',
      username: 'u',
      password: '',
      database: 'db',
    });
    await expect(store.ping()).rejects.toThrow(/^ping http:\/\/127.0.0.1:9 failed: /);
    await store.close();
  });
});

describe('fake ClickHouse HTTP interface', () => {
  const auth = (): Record<string, string> => ({
    'X-ClickHouse-User': server.username,
    'X-ClickHouse-Key': server.password,
  });

  it('answers /ping with Ok.', async () => {
    const response = await fetch(`${server.url}/ping`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('Ok.\n');
  });

  it('runs a query from the URL with params, default_format and a summary header', async () => {
    const url = new URL(server.url);
    url.searchParams.set('query', 'SELECT {n:UInt8} + 1 AS x, {s:String} AS s');
    url.searchParams.set('param_n', '41');
    url.searchParams.set('param_s', 'tab\\there');
    url.searchParams.set('default_format', 'JSONEachRow');
    const response = await fetch(url, { method: 'POST', headers: auth() });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-clickhouse-format')).toBe('JSONEachRow');
    expect(JSON.parse(response.headers.get('x-clickhouse-summary') ?? '{}')).toHaveProperty('read_rows');
    expect(await response.json()).toEqual({ x: 42, s: 'tab\there' });
  });

  it('answers errors with the exception code header, status and text', async () => {
    const response = await fetch(server.url, { method: 'POST', headers: auth(), body: 'SELECT FROM WHERE' });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-clickhouse-exception-code')).toBe('62');
    expect(await response.text()).toMatch(/^Code: 62\. DB::Exception: .*\(SYNTAX_ERROR\)/);
  });

  it('refuses a placeholder without a value, and writes on GET', async () => {
    const missing = await fetch(server.url, {
      method: 'POST',
      headers: auth(),
      body: 'SELECT {nope:String}',
    });
    expect(missing.headers.get('x-clickhouse-exception-code')).toBe('456');
    const url = new URL(server.url);
    url.searchParams.set('query', 'CREATE TABLE t_get (a UInt8) ENGINE = Memory');
    const get = await fetch(url, { headers: auth() });
    expect(get.status).toBe(403);
  });

  it('accepts Basic authorization and applies URL settings to one query only', async () => {
    const basic = {
      Authorization: `Basic ${Buffer.from(`${server.username}:${server.password}`).toString('base64')}`,
    };
    const first = await fetch(`${server.url}/?max_threads=3`, {
      method: 'POST',
      headers: basic,
      body: "SELECT getSetting('max_threads') AS v FORMAT JSONEachRow",
    });
    expect(await first.json()).toEqual({ v: 3 });
    const second = await fetch(server.url, {
      method: 'POST',
      headers: basic,
      body: "SELECT getSetting('max_threads') = 3 AS v FORMAT JSONEachRow",
    });
    expect(await second.json()).toEqual({ v: 0 });
  });

  it('serves @clickhouse/client with gzip responses', async () => {
    const client = createClient({
      url: server.url,
      username: server.username,
      password: server.password,
      compression: { response: true },
    });
    const result = await client.query({ query: 'SELECT number FROM numbers(3)', format: 'JSONEachRow' });
    expect(await result.json()).toEqual([{ number: '0' }, { number: '1' }, { number: '2' }]);
    await client.close();
  });
});

describe('createTelemetryStore', () => {
  it('opens the configured kind and checks the config at once', async () => {
    const store = createTelemetryStore(
      {
        kind: 'clickhouse',
        url: server.url,
        username: server.username,
        password: server.password,
        database: 'factory_db',
      },
      { rawDays: 2 },
    );
    expect(store).toBeInstanceOf(ClickHouseTelemetryStore);
    expect((store as ClickHouseTelemetryStore).retention).toEqual({
      rawDays: 2,
      minuteDays: 180,
      hourDays: 730,
    });
    await store.ping();
    await store.close();
    expect(() => createTelemetryStore({ kind: 'sqlite' } as never)).toThrow(
      /"kind" to be "chdb" or "clickhouse", got "sqlite"/,
    );
    expect(() =>
      createTelemetryStore(
        { kind: 'clickhouse', url: server.url, username: 'u', password: '', database: 'x' },
        { minuteDays: -1 },
      ),
    ).toThrow(/"minuteDays"/);
  });
});
