import { isIPv6 } from 'node:net';
import snmp from 'net-snmp';
import type { Session as NetSnmpSession, User as NetSnmpUser, Varbind as NetSnmpVarbind } from 'net-snmp';
import type { PollTarget, SnmpCredentials } from '@tianshu/protocol';
import { compareOidSuffix, normaliseOid } from './oid.js';

/** ASN.1 / SMI tags of varbind values, as they appear on the wire. */
export const SnmpType = {
  Integer: 2,
  OctetString: 4,
  Null: 5,
  ObjectIdentifier: 6,
  IpAddress: 64,
  Counter32: 65,
  Gauge32: 66,
  TimeTicks: 67,
  Opaque: 68,
  Counter64: 70,
  NoSuchObject: 128,
  NoSuchInstance: 129,
  EndOfMibView: 130,
} as const;

/** The value of a varbind: numbers for 32-bit types, bigint for Counter64, Buffer for strings. */
export type VarbindValue = number | bigint | Buffer | string | boolean | null;

/** One variable binding returned by a device. */
export interface Varbind {
  /** Dotted OID without a leading dot. */
  oid: string;
  /** One of {@link SnmpType}. */
  type: number;
  value: VarbindValue;
}

/** What went wrong in an SNMP exchange; used as a metric label, so the set is closed. */
export type SnmpErrorKind =
  | 'timeout'
  | 'auth'
  | 'malformed'
  | 'agent-error'
  | 'walk-not-increasing'
  | 'too-many-varbinds'
  | 'no-progress'
  | 'wrong-type'
  | 'aborted'
  | 'network'
  | 'internal';

/**
 * The one error type of the edge SNMP code. Its message never contains a community or key: text
 * coming from the library is scrubbed of the session's secrets before it is stored.
 */
export class SnmpError extends Error {
  readonly kind: SnmpErrorKind;
  constructor(kind: SnmpErrorKind, message: string) {
    super(message);
    this.name = 'SnmpError';
    this.kind = kind;
  }
}

/** Options of one walk. */
export interface WalkOptions {
  /** GETBULK max-repetitions of each request. */
  maxRepetitions: number;
}

/** Options of {@link SnmpSession.walkColumns}. */
export interface WalkColumnsOptions {
  /**
   * Stop each column after this many rows (big tables, e.g. a chassis' entPhysicalTable): the
   * requests ask for no more than the rows still wanted, and the rows beyond are dropped.
   */
  maxRows?: number;
}

/**
 * A conversation with one SNMP agent. Every method rejects with {@link SnmpError} only; none of
 * them ever throws synchronously or lets an exception escape into the event loop.
 */
export interface SnmpSession {
  /** GET of scalar OIDs; the answer has one varbind per OID, in order (errors as NoSuch* types). */
  get(oids: readonly string[]): Promise<Varbind[]>;
  /** GETBULK walk of one subtree, in OID order. */
  walk(baseOid: string, maxRepetitions: number): Promise<Varbind[]>;
  /**
   * GETBULK walk of several subtrees (typically table columns) at once: every request carries one
   * OID per column still in progress. Returns one list per base OID, in the given order.
   */
  walkColumns(
    baseOids: readonly string[],
    maxRepetitions: number,
    options?: WalkColumnsOptions,
  ): Promise<Varbind[][]>;
  /** Varbinds received by walks of this session so far. */
  readonly varbindsReceived: number;
  close(): void;
}

/** Creates a session for a target; the poller and discovery take one so tests can pass a double. */
export type SnmpSessionFactory = (target: PollTarget, options?: SessionOptions) => SnmpSession;

/** Options of {@link createSnmpSession}. */
export interface SessionOptions {
  /** Most varbinds all walks of this session may return together; 200,000 by default. */
  maxVarbinds?: number;
  /** Aborting closes the session; requests in flight reject with kind `aborted`. */
  signal?: AbortSignal;
}

/** Default cap on the varbinds of one session's walks. */
export const defaultMaxVarbinds = 200_000;

const authProtocols: Record<
  NonNullable<Extract<SnmpCredentials, { version: '3' }>['authProtocol']>,
  number
> = {
  md5: snmp.AuthProtocols.md5,
  sha: snmp.AuthProtocols.sha,
  sha224: snmp.AuthProtocols.sha224,
  sha256: snmp.AuthProtocols.sha256,
  sha384: snmp.AuthProtocols.sha384,
  sha512: snmp.AuthProtocols.sha512,
};
const privProtocols: Record<
  NonNullable<Extract<SnmpCredentials, { version: '3' }>['privProtocol']>,
  number
> = {
  des: snmp.PrivProtocols.des,
  aes: snmp.PrivProtocols.aes,
  aes256b: snmp.PrivProtocols.aes256b,
  aes256r: snmp.PrivProtocols.aes256r,
};

/** The secret strings of a credential set, longest first, for scrubbing messages. */
export function credentialSecrets(c: SnmpCredentials): string[] {
  const s = c.version === '2c' ? [c.community] : [c.authKey, c.privKey].filter((x): x is string => !!x);
  return [...new Set(s)].filter((x) => x.length > 0).sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of a secret in `text` (also hex-encoded) with `[redacted]`. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    for (const form of [s, Buffer.from(s, 'utf8').toString('hex')]) {
      if (form.length > 0) out = out.split(form).join('[redacted]');
    }
  }
  return out.length > 500 ? `${out.slice(0, 497)}...` : out;
}

// net-snmp 3.29 has this code; its typings do not list it yet.
const notInTimeWindowCode = 14;

/** Maps a net-snmp callback error (or anything thrown) to an {@link SnmpError}. */
function classify(err: unknown, secrets: readonly string[]): SnmpError {
  if (err instanceof SnmpError) return new SnmpError(err.kind, scrubSecrets(err.message, secrets));
  const e = err instanceof Error ? err : new Error(String(err));
  const msg = scrubSecrets(e.message, secrets);
  switch (e.name) {
    case 'RequestTimedOutError':
      return new SnmpError('timeout', 'request timed out');
    case 'RequestFailedError':
      return new SnmpError('agent-error', `agent reported an error: ${msg}`);
    case 'ResponseInvalidError': {
      const code = (e as { code?: number }).code;
      if (
        code === snmp.ResponseInvalidCode.EAuthFailure ||
        code === snmp.ResponseInvalidCode.ECouldNotDecrypt ||
        code === snmp.ResponseInvalidCode.ECommunityNoMatch ||
        code === notInTimeWindowCode
      ) {
        // The library's own texts here may quote digests or the community; only a summary is kept.
        return new SnmpError('auth', `authentication failed: ${authSummary(code, msg)}`);
      }
      return new SnmpError('malformed', `invalid response: ${msg}`);
    }
    case 'RangeError':
    case 'TypeError':
    case 'InvalidAsn1Error':
      return new SnmpError('malformed', `cannot decode response: ${msg}`);
    default:
      if ((e as NodeJS.ErrnoException).code) return new SnmpError('network', msg);
      return new SnmpError('malformed', msg);
  }
}

function authSummary(code: number | undefined, msg: string): string {
  if (code === snmp.ResponseInvalidCode.ECommunityNoMatch) return 'community in the response does not match';
  if (code === snmp.ResponseInvalidCode.ECouldNotDecrypt)
    return 'cannot decrypt the response (wrong privacy key?)';
  if (code === notInTimeWindowCode) return 'response outside the time window';
  // User-based security model reports carry short fixed texts such as "Wrong Digest (...)".
  if (/^[A-Za-z ()',]+$/.test(msg)) return msg.toLowerCase();
  return 'digest mismatch (wrong authentication key?)';
}

/** Converts a Counter64 as net-snmp hands it over (big-endian bytes) into a bigint. */
export function counter64FromBytes(buf: Buffer): bigint {
  let start = 0;
  while (start < buf.length - 1 && buf[start] === 0) start += 1;
  const len = buf.length - start;
  if (len > 8) throw new SnmpError('wrong-type', `counter64 value has ${len} significant bytes`);
  if (len <= 6) return len === 0 ? 0n : BigInt(buf.readUIntBE(start, len));
  let v = 0n;
  for (let i = start; i < buf.length; i += 1) v = (v << 8n) | BigInt(buf[i] ?? 0);
  return v;
}

function convert(vb: NetSnmpVarbind): Varbind {
  const type = Number(vb.type ?? SnmpType.Null);
  let value = (vb.value ?? null) as VarbindValue;
  if (type === SnmpType.Counter64) {
    if (!Buffer.isBuffer(value)) throw new SnmpError('wrong-type', `counter64 at ${vb.oid} is not bytes`);
    value = counter64FromBytes(value);
  }
  return { oid: vb.oid, type, value };
}

function isEndOfView(type: number): boolean {
  return type === SnmpType.EndOfMibView || type === SnmpType.NoSuchObject || type === SnmpType.NoSuchInstance;
}

interface ColumnState {
  base: string;
  prefix: string;
  cursor: string;
  done: boolean;
  rows: Varbind[];
}

// The parts of a net-snmp session reached below its public typings, to harden message handling.
interface NetSnmpInternals {
  dgram?: { removeAllListeners(event: string): unknown; on(event: string, fn: (b: Buffer) => void): unknown };
  onMsg?: (buffer: Buffer) => void;
}

/** Creates a net-snmp session for a target (v2c or v3), hardened against hostile answers. */
export function createSnmpSession(target: PollTarget, options: SessionOptions = {}): SnmpSession {
  return new DefaultSnmpSession(target, options);
}

/** The net-snmp implementation of {@link SnmpSession}. */
export class DefaultSnmpSession implements SnmpSession {
  readonly #session: NetSnmpSession;
  readonly #secrets: string[];
  readonly #maxVarbinds: number;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort: () => void;
  #closed = false;
  #received = 0;

  constructor(target: PollTarget, options: SessionOptions = {}) {
    if (!target.address) throw new SnmpError('internal', 'snmp session requires a target address');
    this.#secrets = credentialSecrets(target.credentials);
    this.#maxVarbinds = options.maxVarbinds ?? defaultMaxVarbinds;
    if (!(this.#maxVarbinds > 0))
      throw new SnmpError('internal', 'snmp session option "maxVarbinds" must be positive');
    const common = {
      port: target.port,
      timeout: target.timeoutMs,
      retries: target.retries,
      transport: isIPv6(target.address) ? ('udp6' as const) : ('udp4' as const),
      // Out-of-order answers are detected by the walk itself, with a clearer error.
      backwardsGetNexts: true,
    };
    const c = target.credentials;
    if (c.version === '2c') {
      this.#session = snmp.createSession(target.address, c.community, { ...common, version: snmp.Version2c });
    } else {
      const user: NetSnmpUser = { name: c.user, level: snmp.SecurityLevel[c.level] };
      if (c.level !== 'noAuthNoPriv') {
        user.authProtocol = authProtocols[c.authProtocol ?? 'sha'];
        user.authKey = c.authKey ?? '';
      }
      if (c.level === 'authPriv') {
        user.privProtocol = privProtocols[c.privProtocol ?? 'aes'];
        user.privKey = c.privKey ?? '';
      }
      this.#session = snmp.createV3Session(target.address, user, { ...common, version: snmp.Version3 });
    }
    // A datagram that cannot be parsed fails the requests in flight at once instead of letting them
    // run into the timeout; the session belongs to one device, so the garbage came from it.
    this.#session.on('error', (err: unknown) => this.#failAll(err));
    // net-snmp handles each datagram synchronously in the socket's message event; an exception it
    // does not catch itself would reach the event loop and end the process, so it is caught here.
    const internals = this.#session as unknown as NetSnmpInternals;
    const onMsg = internals.onMsg;
    if (internals.dgram && typeof onMsg === 'function') {
      internals.dgram.removeAllListeners('message');
      internals.dgram.on('message', (buf: Buffer) => {
        try {
          onMsg.call(this.#session, buf);
        } catch (err) {
          this.#failAll(err);
        }
      });
    }
    this.#signal = options.signal;
    this.#onAbort = () => {
      const reason: unknown = this.#signal?.reason;
      this.#failAll(reason instanceof SnmpError ? reason : new SnmpError('aborted', 'poll aborted'));
      this.close();
    };
    if (this.#signal?.aborted) queueMicrotask(this.#onAbort);
    else this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  get varbindsReceived(): number {
    return this.#received;
  }

  #failAll(err: unknown): void {
    const e = err instanceof SnmpError ? err : classify(err, this.#secrets);
    try {
      this.#session.cancelRequests(e);
    } catch {
      // Cancelling only calls our own callbacks, which never throw; this is belt and braces.
    }
  }

  #checkOpen(): void {
    if (this.#signal?.aborted) throw new SnmpError('aborted', 'poll aborted');
    if (this.#closed) throw new SnmpError('aborted', 'session is closed');
  }

  get(oids: readonly string[]): Promise<Varbind[]> {
    return new Promise<Varbind[]>((resolve, reject) => {
      try {
        this.#checkOpen();
        this.#session.get(
          oids.map((o) => normaliseOid(o)),
          (err, varbinds) => {
            try {
              if (err) return reject(classify(err, this.#secrets));
              const list = (varbinds ?? []).map(convert);
              if (list.length !== oids.length)
                throw new SnmpError('malformed', `asked for ${oids.length} oids, got ${list.length}`);
              resolve(list);
            } catch (e) {
              reject(classify(e, this.#secrets));
            }
          },
        );
      } catch (e) {
        reject(classify(e, this.#secrets));
      }
    });
  }

  async walk(baseOid: string, maxRepetitions: number): Promise<Varbind[]> {
    const [rows] = await this.walkColumns([baseOid], maxRepetitions);
    return rows ?? [];
  }

  async walkColumns(
    baseOids: readonly string[],
    maxRepetitions: number,
    options: WalkColumnsOptions = {},
  ): Promise<Varbind[][]> {
    try {
      return await this.#walkColumns(baseOids, maxRepetitions, options.maxRows ?? Infinity);
    } catch (err) {
      throw classify(err, this.#secrets);
    }
  }

  async #walkColumns(
    baseOids: readonly string[],
    maxRepetitions: number,
    maxRows: number,
  ): Promise<Varbind[][]> {
    if (!(maxRepetitions >= 1)) throw new SnmpError('internal', 'walk requires maxRepetitions of at least 1');
    const cols: ColumnState[] = baseOids.map((b) => {
      const base = normaliseOid(b);
      return { base, prefix: `${base}.`, cursor: base, done: false, rows: [] };
    });
    for (;;) {
      const active = cols.filter((c) => !c.done);
      if (active.length === 0) break;
      let wanted = maxRepetitions;
      for (const c of active) wanted = Math.min(wanted, Math.max(1, maxRows - c.rows.length));
      const answer = await this.#bulk(
        active.map((c) => c.cursor),
        wanted,
      );
      let progressed = false;
      for (let i = 0; i < active.length; i += 1) {
        const col = active[i] as ColumnState;
        const got = answer[i] ?? [];
        for (const raw of got) {
          const vb = raw;
          if (isEndOfView(vb.type) || !vb.oid.startsWith(col.prefix)) {
            // Leaving the subtree (or the end of the MIB view) is the normal end of a walk.
            col.done = true;
            progressed = true;
            break;
          }
          const cmp = compareOidSuffix(vb.oid, col.cursor, col.base.length);
          if (cmp <= 0) {
            throw new SnmpError(
              'walk-not-increasing',
              cmp === 0
                ? `walk of ${col.base} stopped: the agent repeated oid ${vb.oid}`
                : `walk of ${col.base} stopped: the agent went back from ${col.cursor} to ${vb.oid}`,
            );
          }
          this.#received += 1;
          if (this.#received > this.#maxVarbinds) {
            throw new SnmpError(
              'too-many-varbinds',
              `walk stopped after ${this.#maxVarbinds} varbinds (the configured cap)`,
            );
          }
          col.rows.push(convert(vb as unknown as NetSnmpVarbind));
          col.cursor = vb.oid;
          progressed = true;
          if (col.rows.length >= maxRows) {
            col.done = true;
            break;
          }
        }
      }
      if (!progressed) {
        throw new SnmpError(
          'no-progress',
          'walk stopped: the agent answered a bulk request without varbinds',
        );
      }
    }
    return cols.map((c) => c.rows);
  }

  /** One GETBULK request; resolves with the raw varbinds of each requested OID. */
  #bulk(oids: string[], maxRepetitions: number): Promise<{ oid: string; type: number; value: unknown }[][]> {
    return new Promise((resolve, reject) => {
      try {
        this.#checkOpen();
        this.#session.getBulk(oids, 0, maxRepetitions, (err, varbinds) => {
          try {
            if (err) return reject(classify(err, this.#secrets));
            const out: { oid: string; type: number; value: unknown }[][] = [];
            for (const v of varbinds ?? []) {
              const list = Array.isArray(v) ? v : [v];
              out.push(
                list.map((x) => {
                  if (typeof x?.oid !== 'string') throw new SnmpError('malformed', 'varbind without an oid');
                  return { oid: x.oid, type: Number(x.type), value: x.value };
                }),
              );
            }
            resolve(out);
          } catch (e) {
            reject(classify(e, this.#secrets));
          }
        });
      } catch (e) {
        reject(classify(e, this.#secrets));
      }
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#failAll(new SnmpError('aborted', 'session closed'));
    try {
      this.#session.close();
    } catch {
      // Closing an already closed socket throws; there is nothing left to release then.
    }
  }
}
