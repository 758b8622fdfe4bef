import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, setCsrfToken } from './api.js';
import { createPrefix, deletePrefix, fetchPrefixes, nestPrefixes, updatePrefix } from './prefixes.js';
import type { Prefix, PrefixPurpose } from './prefixes.js';

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

let calls: Call[] = [];
let answer: () => Response;

beforeEach(() => {
  calls = [];
  answer = () => new Response(JSON.stringify({ items: [] }), { status: 200 });
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      calls.push({
        url,
        method: init.method ?? 'GET',
        headers: init.headers as Record<string, string>,
        body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      });
      return answer();
    }),
  );
  setCsrfToken('csrf-1');
});

afterEach(() => {
  vi.unstubAllGlobals();
  setCsrfToken(null);
});

const prefix = (text: string, purpose: PrefixPurpose = 'management', id = text): Prefix => ({
  id,
  prefix: text,
  orgUnitId: 'sc',
  purpose,
  description: null,
  family: text.includes(':') ? 6 : 4,
});

describe('prefix calls', () => {
  it('lists the prefixes of the scope, with the largest page and the filters given', async () => {
    const one = prefix('127.0.16.0/20');
    answer = () => new Response(JSON.stringify({ items: [one] }), { status: 200 });
    expect((await fetchPrefixes()).items).toEqual([one]);
    await fetchPrefixes({ orgUnitId: 'sc-cd', purpose: 'hosts' });
    expect(calls.map((c) => [c.method, c.url])).toEqual([
      ['GET', '/api/v1/inventory/prefixes?limit=5000'],
      ['GET', '/api/v1/inventory/prefixes?orgUnitId=sc-cd&purpose=hosts&limit=5000'],
    ]);
  });

  it('creates a prefix with the body the server expects and the CSRF header', async () => {
    answer = () => new Response(JSON.stringify(prefix('127.0.17.0/24')), { status: 201 });
    await createPrefix({ prefix: '127.0.17.0/24', orgUnitId: 'sc-cd', purpose: 'management' });
    await createPrefix({ prefix: '10.0.0.0/8', orgUnitId: 'sc', purpose: 'hosts', description: 'Cloud' });
    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      [
        'POST',
        '/api/v1/inventory/prefixes',
        { prefix: '127.0.17.0/24', orgUnitId: 'sc-cd', purpose: 'management' },
      ],
      [
        'POST',
        '/api/v1/inventory/prefixes',
        { prefix: '10.0.0.0/8', orgUnitId: 'sc', purpose: 'hosts', description: 'Cloud' },
      ],
    ]);
    expect(calls[0]?.headers['x-csrf-token']).toBe('csrf-1');
  });

  it('changes only the description and deletes by id', async () => {
    answer = () => new Response(JSON.stringify(prefix('10.0.0.0/8')), { status: 200 });
    await updatePrefix('a/b', { description: null });
    answer = () => new Response(null, { status: 204 });
    await expect(deletePrefix('0d9c-1')).resolves.toBeUndefined();
    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['PATCH', '/api/v1/inventory/prefixes/a%2Fb', { description: null }],
      ['DELETE', '/api/v1/inventory/prefixes/0d9c-1', undefined],
    ]);
  });

  it('rejects with the server’s message, so the form can show it', async () => {
    const message =
      'prefix: 10.9.0.0/16 is not inside a management prefix of org unit "sc" (to delegate) or of "sc-cd" (to subdivide)';
    answer = () =>
      new Response(JSON.stringify({ error: { code: 'prefix.outside_delegation', message } }), {
        status: 400,
      });
    const error = await createPrefix({
      prefix: '10.9.0.0/16',
      orgUnitId: 'sc-cd',
      purpose: 'management',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).message).toBe(message);
    expect((error as ApiError).code).toBe('prefix.outside_delegation');
  });
});

describe('nestPrefixes', () => {
  const view = (list: Prefix[]) =>
    nestPrefixes(list).map((n) => `${n.item.purpose} ${n.depth} ${n.item.prefix}`);

  it('orders by purpose, then numerically, and indents by the listed prefixes holding each one', () => {
    expect(
      view([
        prefix('127.0.17.0/24'),
        prefix('10.20.0.0/16', 'hosts'),
        prefix('127.0.16.0/20'),
        prefix('127.0.0.0/16'),
        prefix('127.0.100.0/24'),
        prefix('127.0.17.64/26'),
        prefix('127.0.9.0/24'),
        prefix('10.0.0.0/8', 'hosts'),
        prefix('203.0.113.0/24', 'egress'),
        prefix('127.1.0.0/16'),
      ]),
    ).toEqual([
      'management 0 127.0.0.0/16',
      'management 1 127.0.9.0/24',
      'management 1 127.0.16.0/20',
      'management 2 127.0.17.0/24',
      'management 3 127.0.17.64/26',
      'management 1 127.0.100.0/24',
      'management 0 127.1.0.0/16',
      'hosts 0 10.0.0.0/8',
      'hosts 1 10.20.0.0/16',
      'egress 0 203.0.113.0/24',
    ]);
  });

  it('does not nest across purposes: the same space may be registered for each', () => {
    expect(
      view([prefix('10.0.0.1/32', 'egress'), prefix('10.0.0.0/8', 'hosts'), prefix('10.0.0.0/24', 'egress')]),
    ).toEqual(['hosts 0 10.0.0.0/8', 'egress 0 10.0.0.0/24', 'egress 1 10.0.0.1/32']);
  });

  it('starts at depth 0 where the holding prefix is not listed (another unit’s space)', () => {
    // A county sees its delegation and its subdivisions, not the city prefix around them.
    expect(view([prefix('127.0.18.0/24'), prefix('127.0.17.0/24'), prefix('127.0.17.128/25')])).toEqual([
      'management 0 127.0.17.0/24',
      'management 1 127.0.17.128/25',
      'management 0 127.0.18.0/24',
    ]);
  });

  it('puts IPv4 before IPv6 and nests IPv6 the same way', () => {
    expect(
      view([
        prefix('2001:db8:10::/48', 'hosts'),
        prefix('2001:db8::/32', 'hosts'),
        prefix('2001:db8:9::/48', 'hosts'),
        prefix('2001:db8:10:1::/64', 'hosts'),
        prefix('10.0.0.0/8', 'hosts'),
      ]),
    ).toEqual([
      'hosts 0 10.0.0.0/8',
      'hosts 0 2001:db8::/32',
      'hosts 1 2001:db8:9::/48',
      'hosts 1 2001:db8:10::/48',
      'hosts 2 2001:db8:10:1::/64',
    ]);
  });

  it('keeps text it cannot read, last of its purpose and not indented', () => {
    expect(view([prefix('bogus'), prefix('10.0.0.0/8'), prefix('10.1.0.0/16')])).toEqual([
      'management 0 10.0.0.0/8',
      'management 1 10.1.0.0/16',
      'management 0 bogus',
    ]);
    expect(nestPrefixes([])).toEqual([]);
  });
});
