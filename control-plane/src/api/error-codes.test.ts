import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../../../test/support/control-plane.js';
import { errorCodeList, errorCodes, isErrorCode, type ErrorCode } from '../error-codes.js';
import { ConflictError, InputError, notAvailable, PayloadTooLargeError } from '../errors.js';
import { errorCodeTable, errorResponseSchema } from './error-schema.js';
import { httpCode } from './errors.js';

interface ErrorBody {
  error: {
    code: string;
    message: string;
    requestId?: string;
    details?: { path: string; message: string; code?: string; params?: Record<string, unknown> }[];
  };
}

interface OpenApiDoc {
  'x-error-codes': Record<string, { status: number; description: string }>;
  info: { description: string };
  components: {
    schemas: Record<string, { properties: { error: { properties: { code: { enum: string[] } } } } }>;
  };
  paths: Record<string, Record<string, { responses: Record<string, { content?: unknown }> }>>;
}

describe('the error code registry', () => {
  it('names every code in dotted lower case with a status and a one-line description', () => {
    expect(errorCodeList.length).toBeGreaterThan(20);
    for (const code of errorCodeList) {
      expect(code, code).toMatch(/^[a-z]+(?:_[a-z]+)*(?:\.[a-z]+(?:_[a-z]+)*)*$/);
      const spec = errorCodes[code];
      expect(spec.status, code).toBeGreaterThanOrEqual(400);
      expect(spec.status, code).toBeLessThan(600);
      expect(spec.description, code).toMatch(/^[A-Z`].*\.$/);
      expect(spec.description, code).not.toContain('\n');
    }
    expect(isErrorCode('input.invalid')).toBe(true);
    expect(isErrorCode('invalid_input')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
  });

  it('gives every family its default code and lets a throw site name a specific one', () => {
    expect(new InputError('x').code).toBe('input.invalid');
    expect(new InputError('x', { code: 'input.json' })).toMatchObject({ status: 400, code: 'input.json' });
    expect(new ConflictError('x', { code: 'prefix.overlaps' })).toMatchObject({
      status: 409,
      code: 'prefix.overlaps',
    });
    const taken = notAvailable('id', 'site id "a"');
    expect(taken.code).toBe('conflict.not_available');
    expect(taken.details?.[0]).toMatchObject({ path: 'id', params: { field: 'id' } });
    expect(new PayloadTooLargeError('big', 1024).details?.[0]?.params).toEqual({ limit: 1024 });
    // A code of another status does not compile for the family:
    // @ts-expect-error prefix.overlaps is a 409 code, not a 400 one
    void new InputError('x', { code: 'prefix.overlaps' });
    // @ts-expect-error not a code of the registry
    void new ConflictError('x', { code: 'conflict.typo' });
  });

  it('maps each bare HTTP status to a registry code of that status', () => {
    for (const status of [400, 401, 403, 404, 405, 409, 413, 429, 503, 507, 500]) {
      const code: ErrorCode = httpCode(status);
      const spec: { status: number; alsoStatus?: number } = errorCodes[code];
      expect([spec.status, spec.alsoStatus], `${status} → ${code}`).toContain(status);
    }
    expect(httpCode(418)).toBe('request.rejected');
    expect(httpCode(502)).toBe('internal');
  });

  it('lists every code with its status and meaning in docs/api-errors.md', () => {
    const doc = readFileSync(new URL('../../../docs/api-errors.md', import.meta.url), 'utf8');
    const rows = errorCodeTable().split('\n').slice(2);
    expect(rows).toHaveLength(errorCodeList.length);
    for (const row of rows) expect(doc, row).toContain(row);
    const documented = [...doc.matchAll(/^\| [\d, ]+ \| `([a-z_.]+)` \|/gm)].map((m) => m[1]);
    expect(documented).toEqual(errorCodeList);
  });

  it('describes every code in the ErrorResponse schema: an enum and a table row each', () => {
    const schema = errorResponseSchema() as {
      properties: { error: { properties: { code: { enum: string[] } } } };
    };
    expect(schema.properties.error.properties.code.enum).toEqual(errorCodeList);
    const table = errorCodeTable();
    for (const code of errorCodeList)
      expect(table, code).toContain(`| \`${code}\` | ${errorCodes[code].description} |`);
  });
});

describe('error answers of the running API', () => {
  let t: TestControlPlane;
  let admin: Session;
  let doc: OpenApiDoc;

  beforeAll(async () => {
    t = await startTestControlPlane();
    admin = await login(t.request, 'admin', ADMIN_PASSWORD);
    doc = (await (await admin.get('/api/v1/openapi.json')).json()) as OpenApiDoc;
  });
  afterAll(async () => {
    await t?.close();
  });

  const json = (body: unknown, method = 'POST'): RequestInit => ({
    method,
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

  /** The answer's body, checked to carry a documented code with the status the registry gives it. */
  async function documented(res: Response, code: ErrorCode): Promise<ErrorBody['error']> {
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe(code);
    expect(doc.components.schemas['ErrorResponse']!.properties.error.properties.code.enum).toContain(code);
    expect(doc['x-error-codes'][code]?.status).toBe(res.status);
    expect(body.error.message.length).toBeGreaterThan(0);
    expect(body.error.requestId).toBeTruthy();
    return body.error;
  }

  it('lists every registry code in the document, in the enum, the extension and the description', () => {
    expect(doc.components.schemas['ErrorResponse']!.properties.error.properties.code.enum).toEqual(
      errorCodeList,
    );
    expect(Object.keys(doc['x-error-codes'])).toEqual(errorCodeList);
    for (const code of errorCodeList) {
      expect(doc['x-error-codes'][code]).toMatchObject({ status: errorCodes[code].status });
      expect(doc.info.description, code).toContain(`\`${code}\``);
    }
  });

  it('references the ErrorResponse component from the error answers of every route', () => {
    const ref = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } };
    const operations = Object.values(doc.paths).flatMap((p) => Object.values(p));
    expect(operations.length).toBeGreaterThan(30);
    for (const op of operations) {
      expect(op.responses['4XX']?.content).toEqual(ref);
      expect(op.responses['5XX']?.content).toEqual(ref);
    }
  });

  it('answers a wrong password auth.invalid_credentials', async () => {
    const res = await t.request(
      '/api/v1/auth/login',
      json({ username: 'admin', password: 'wrong-password-123' }),
    );
    expect(res.status).toBe(401);
    expect((await documented(res, 'auth.invalid_credentials')).message).toBe('wrong username or password');
  });

  it('answers a body that fails validation input.invalid with details, and one that is not JSON input.json', async () => {
    const bad = await admin.send('POST', '/api/v1/org-units', {
      id: 'x-new',
      parentId: 'sc',
      level: 'city',
      name: 'X',
      colour: 'red',
    });
    expect(bad.status).toBe(400);
    const e = await documented(bad, 'input.invalid');
    expect(e.details?.length).toBeGreaterThan(0);
    expect(e.details![0]).toMatchObject({ path: expect.any(String), message: expect.any(String) });
    const notJson = await t.request('/api/v1/auth/login', json('{"username": "admin",'));
    expect(notJson.status).toBe(400);
    await documented(notJson, 'input.json');
  });

  it('answers an out-of-scope record scope.not_found exactly as an absent one', async () => {
    expect(
      (
        await admin.send('POST', '/api/v1/org-units', {
          id: 'sc-errs',
          parentId: 'sc',
          level: 'city',
          name: 'Elsewhere',
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await admin.send('POST', '/api/v1/users', {
          username: 'errs-chengdu',
          displayName: 'Chengdu operator',
          password: 'errs-chengdu-password-1',
          roles: ['network-operator'],
          orgUnitId: 'sc-cd',
        })
      ).status,
    ).toBe(201);
    const op = await login(t.request, 'errs-chengdu', 'errs-chengdu-password-1');
    const outside = await op.get('/api/v1/org-units/sc-errs');
    const absent = await op.get('/api/v1/org-units/sc-nowhere');
    expect([outside.status, absent.status]).toEqual([404, 404]);
    const a = await documented(outside, 'scope.not_found');
    const b = await documented(absent, 'scope.not_found');
    expect(a.message.replace('sc-errs', 'ID')).toBe(b.message.replace('sc-nowhere', 'ID'));
  });

  it('answers a taken id conflict.not_available naming the field, and a unit with children org_unit.has_children', async () => {
    const again = await admin.send('POST', '/api/v1/org-units', {
      id: 'sc-cd',
      parentId: 'sc',
      level: 'city',
      name: 'Again',
    });
    expect(again.status).toBe(409);
    const e = await documented(again, 'conflict.not_available');
    expect(e.details?.[0]).toMatchObject({
      path: 'id',
      code: 'conflict.not_available',
      params: { field: 'id' },
    });
    const parent = await admin.send('DELETE', '/api/v1/org-units/sc-cd');
    expect(parent.status).toBe(409);
    await documented(parent, 'org_unit.has_children');
  });

  it('answers a missing permission permission.denied naming it, and no session auth.unauthenticated', async () => {
    const op = await login(t.request, 'errs-chengdu', 'errs-chengdu-password-1');
    const audit = await op.get('/api/v1/audit');
    expect(audit.status).toBe(403);
    const e = await documented(audit, 'permission.denied');
    expect(e.details?.[0]?.params?.['permission']).toMatch(/^audit:/);
    const anonymous = await t.request('/api/v1/agents');
    expect(anonymous.status).toBe(401);
    await documented(anonymous, 'auth.unauthenticated');
  });

  it('answers an unknown path route.not_found and a wrong method route.method_not_allowed with Allow', async () => {
    const unknown = await admin.get('/api/v1/nope');
    expect(unknown.status).toBe(404);
    await documented(unknown, 'route.not_found');
    const wrong = await t.request('/api/v1/auth/login', { method: 'GET' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    await documented(wrong, 'route.method_not_allowed');
  });

  it('answers an oversized body payload.too_large with the limit as a param', async () => {
    const res = await t.request(
      '/api/v1/auth/login',
      json({ username: 'admin', password: 'x'.repeat(2_000_000) }),
    );
    expect(res.status).toBe(413);
    const e = await documented(res, 'payload.too_large');
    expect(e.details?.[0]?.params?.['limit']).toEqual(expect.any(Number));
  });
});
