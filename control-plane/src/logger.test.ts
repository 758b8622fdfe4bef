import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactForLog } from './logger.js';

/** A logger writing into an array of parsed lines. */
function capture(level = 'info') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: createLogger(level, 'test', stream), text: () => lines.join('') };
}

const HASH = 'scrypt$131072$8$1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5';
const TOKEN_HASH = 'f'.repeat(64);

describe('logger redaction', () => {
  it('never logs query parameters, row details or secrets of an error, at any depth', () => {
    const { log, text } = capture();
    const err = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
      code: '22021',
      query: 'INSERT INTO users (id, username, password_hash) VALUES ($1, $2, $3)',
      params: ['id-1', 'alice', HASH],
      parameters: [TOKEN_HASH, 'tsk_abcdefghijkl'],
      detail: `Failing row contains (id-1, alice, ${HASH}).`,
    });
    log.error(
      {
        err,
        requestId: 'r-1',
        body: {
          user: { password: 'hunter2-secret', passwordHash: HASH },
          deep: { a: { b: { c: { token: 'tse_secretsecret', secret: 's3cr3t-value' } } } },
          snmp: [{ community: 'private-community', authKey: 'auth-key-value', privKey: 'priv-key-value' }],
          headers: { Authorization: 'Bearer tsk_zzzzzzzzzzzz', cookie: 'tianshu_session=abc123cookie' },
          credential: 'agent-credential-value',
        },
      },
      'request failed',
    );
    const out = text();
    expect(out).toContain('request failed');
    expect(out).toContain('invalid byte sequence');
    expect(out).toContain('22021');
    for (const secret of [
      HASH,
      'scrypt$',
      TOKEN_HASH,
      'tsk_',
      'tse_',
      'hunter2',
      's3cr3t',
      'private-community',
      'auth-key-value',
      'priv-key-value',
      'abc123cookie',
      'agent-credential-value',
    ]) {
      expect(out, secret).not.toContain(secret);
    }
    // Stack traces stay out of logs at info level.
    expect(out).not.toMatch(/\n\s+at /);
    expect(out).not.toContain('"stack"');
  });

  it('masks secrets logged as a bare error, in messages and in child bindings', () => {
    const { log, text } = capture();
    log.child({ token: 'tsk_childbindingtoken' }).warn(`login with ${HASH} failed`);
    log.warn('cannot reach postgres://tianshu:db-pass-word@db:5432/tianshu');
    log.error(Object.assign(new Error('boom'), { parameters: ['tsk_bareerrortoken'] }));
    log.error(new Error(`bad hash ${HASH}`));
    const out = text();
    expect(out).toContain('boom');
    expect(out).toContain('postgres://tianshu:***@db:5432');
    expect(out).not.toContain('db-pass-word');
    expect(out).not.toContain('scrypt$');
    expect(out).not.toContain('tsk_');
  });

  it('keeps stacks at debug level only, and survives cycles and deep nesting', () => {
    const { log, text } = capture('debug');
    log.error({ err: new Error('with stack') }, 'x');
    expect(text()).toContain('"stack"');
    const cyclic: Record<string, unknown> = { name: 'c' };
    cyclic.self = cyclic;
    let deep: unknown = { password: 'deep-secret' };
    for (let i = 0; i < 5_000; i++) deep = { next: deep };
    expect(JSON.stringify(redactForLog({ cyclic, deep }))).not.toContain('deep-secret');
  });
});
