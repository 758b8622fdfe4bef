import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket as DgramSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { BlockList, createServer, isIP } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { MAX_EVENT_LINE_BYTES } from '../security.js';
import type {
  EventListenerConfig,
  EventRejectReason,
  EventSourceStats,
  NormalisedEvent,
} from '../security.js';
import { createSplitter, frameText } from './framing.js';
import type { Splitter } from './framing.js';
import { parseEventLine } from './parse.js';

/**
 * Node-only (`@tianshu/protocol/receiver`): a listener for syslog, CEF or EVE lines over UDP (one
 * datagram = one message, or several separated by newlines), TCP or TLS (RFC 6587 framing per the
 * config; many connections, each with its own framing state, so a slow sender never holds up
 * another; a line counts only once complete). Every line is parsed (`parseEventLine`) and handed
 * to the sink; every refusal and drop is counted by reason (`EventSourceStats`).
 */

export interface EventSender {
  address: string;
  port: number;
}

export interface EventSink {
  /**
   * One accepted event. Return `false` when it cannot be taken (the consumer's queue is full): it
   * is then counted as dropped, not accepted.
   */
  event(event: NormalisedEvent, from: EventSender): boolean | void;
  /**
   * A line refused (`reason`) or dropped (`reason` undefined: sender not allowed, connection limit,
   * shut down; not called for the events `event` itself refused).
   */
  rejected?(reason: EventRejectReason | undefined, message: string, from: EventSender | undefined): void;
}

export interface EventReceiverOptions {
  /** Longest line in UTF-8 bytes (default and maximum `MAX_EVENT_LINE_BYTES`). */
  maxLineBytes?: number;
  /** TCP/TLS connections open at once; more are refused and counted as dropped (default 1024). */
  maxConnections?: number;
  /** A connection silent this long is closed (default 300 s); its partial last line is delivered. */
  idleTimeoutMillis?: number;
  /** The time used as `receivedAt` (tests). */
  now?: () => number;
}

export interface EventReceiverStats extends EventSourceStats {
  bytes: number;
  connections: number;
  connectionsOpen: number;
  /** Drops by cause (their sum is `dropped`). */
  droppedBy: Partial<Record<'not-allowed' | 'connection-limit' | 'consumer-full' | 'shutdown', number>>;
}

export interface EventReceiver {
  readonly config: EventListenerConfig;
  /** The bound address and port (the port the system chose when the config says 0). */
  address(): { address: string; port: number };
  /** Running totals since the start. */
  stats(): EventReceiverStats;
  /** The counters since the last call (or the start): the `stats` of one payload. */
  takeStats(): EventSourceStats;
  close(): Promise<void>;
}

type DropCause = keyof EventReceiverStats['droppedBy'];

class Counters {
  total: EventReceiverStats = {
    received: 0,
    accepted: 0,
    rejected: {},
    dropped: 0,
    bytes: 0,
    connections: 0,
    connectionsOpen: 0,
    droppedBy: {},
  };
  private last = {
    received: 0,
    accepted: 0,
    rejected: {} as Partial<Record<EventRejectReason, number>>,
    dropped: 0,
  };

  reject(reason: EventRejectReason): void {
    this.total.rejected[reason] = (this.total.rejected[reason] ?? 0) + 1;
  }

  drop(cause: DropCause, n = 1): void {
    this.total.dropped += n;
    this.total.droppedBy[cause] = (this.total.droppedBy[cause] ?? 0) + n;
  }

  take(): EventSourceStats {
    const t = this.total;
    const rejected: Partial<Record<EventRejectReason, number>> = {};
    for (const [k, v] of Object.entries(t.rejected) as [EventRejectReason, number][]) {
      const d = v - (this.last.rejected[k] ?? 0);
      if (d > 0) rejected[k] = d;
    }
    const out: EventSourceStats = {
      received: t.received - this.last.received,
      accepted: t.accepted - this.last.accepted,
      rejected,
      dropped: t.dropped - this.last.dropped,
    };
    this.last = {
      received: t.received,
      accepted: t.accepted,
      rejected: { ...t.rejected },
      dropped: t.dropped,
    };
    return out;
  }
}

/** `allowedSources` as a matcher (empty = any); throws naming a bad prefix. */
export function allowList(cidrs: readonly string[]): ((address: string) => boolean) | undefined {
  if (cidrs.length === 0) return undefined;
  const list = new BlockList();
  for (const c of cidrs) {
    const slash = c.indexOf('/');
    const addr = slash < 0 ? c : c.slice(0, slash);
    const family = isIP(addr);
    const bits = slash < 0 ? (family === 6 ? 128 : 32) : Number(c.slice(slash + 1));
    if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32))
      throw new Error(`allowed source "${c}" is not an IPv4 or IPv6 prefix`);
    list.addSubnet(addr, bits, family === 6 ? 'ipv6' : 'ipv4');
  }
  return (address) => {
    const a = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(a);
    return family !== 0 && list.check(a, family === 6 ? 'ipv6' : 'ipv4');
  };
}

/** Starts a listener; resolves once it is bound (rejects with the reason when it cannot be). */
export async function startEventReceiver(
  config: EventListenerConfig,
  sink: EventSink,
  options: EventReceiverOptions = {},
): Promise<EventReceiver> {
  const maxLineBytes = Math.min(options.maxLineBytes ?? MAX_EVENT_LINE_BYTES, MAX_EVENT_LINE_BYTES);
  const now = options.now ?? Date.now;
  const allows = allowList(config.allowedSources);
  const c = new Counters();
  const state = { closing: false };

  const line = (text: string, from: EventSender): void => {
    c.total.received++;
    const r = parseEventLine(config.format, text, { maxLineBytes, receivedAt: now() });
    if (!r.ok) {
      c.reject(r.reason);
      sink.rejected?.(r.reason, r.message, from);
      return;
    }
    if (state.closing) {
      c.drop('shutdown');
      sink.rejected?.(undefined, 'receiver shutting down', from);
      return;
    }
    // The consumer refused it (its queue is full): it counted the drop itself.
    if (sink.event(r.event, from) === false) {
      c.drop('consumer-full');
      return;
    }
    c.total.accepted++;
  };
  const frameRejected = (
    reason: 'line-too-long' | 'bad-framing',
    message: string,
    from: EventSender,
  ): void => {
    c.total.received++;
    c.reject(reason);
    sink.rejected?.(reason, message, from);
  };

  if (config.transport === 'udp')
    return startUdp(config, maxLineBytes, allows, c, line, frameRejected, sink, state);
  return startStream(config, options, maxLineBytes, allows, c, line, frameRejected, sink, state);
}

function startUdp(
  config: EventListenerConfig,
  maxLineBytes: number,
  allows: ((a: string) => boolean) | undefined,
  c: Counters,
  line: (text: string, from: EventSender) => void,
  frameRejected: (reason: 'line-too-long' | 'bad-framing', message: string, from: EventSender) => void,
  sink: EventSink,
  state: { closing: boolean },
): Promise<EventReceiver> {
  const socket: DgramSocket = createSocket({ type: isIP(config.bindAddress) === 6 ? 'udp6' : 'udp4' });
  socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    const from = { address: rinfo.address, port: rinfo.port };
    c.total.bytes += msg.length;
    if (allows && !allows(rinfo.address)) {
      c.drop('not-allowed');
      sink.rejected?.(undefined, `sender ${rinfo.address} is not in allowedSources`, from);
      return;
    }
    // One datagram is one message, or several separated by newlines (a trailing one is no message).
    let start = 0;
    while (start < msg.length) {
      let nl = msg.indexOf(0x0a, start);
      if (nl < 0) nl = msg.length;
      const len = nl - start;
      if (len > maxLineBytes)
        frameRejected('line-too-long', `message longer than ${maxLineBytes} bytes`, from);
      else if (len > 0 && !(len === 1 && msg[start] === 0x0d)) line(frameText(msg.subarray(start, nl)), from);
      start = nl + 1;
    }
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(config.port, config.bindAddress, () => {
      socket.off('error', reject);
      socket.on('error', () => {
        /* a send-side ICMP error on a receive-only socket: nothing to do */
      });
      const a = socket.address();
      resolve({
        config,
        address: () => ({ address: a.address, port: a.port }),
        stats: () => ({ ...c.total, rejected: { ...c.total.rejected }, droppedBy: { ...c.total.droppedBy } }),
        takeStats: () => c.take(),
        close: () =>
          new Promise<void>((res) => {
            state.closing = true;
            try {
              socket.close(() => res());
            } catch {
              res();
            }
          }),
      });
    });
  });
}

function startStream(
  config: EventListenerConfig,
  options: EventReceiverOptions,
  maxLineBytes: number,
  allows: ((a: string) => boolean) | undefined,
  c: Counters,
  line: (text: string, from: EventSender) => void,
  frameRejected: (reason: 'line-too-long' | 'bad-framing', message: string, from: EventSender) => void,
  sink: EventSink,
  state: { closing: boolean },
): Promise<EventReceiver> {
  const maxConnections = options.maxConnections ?? 1024;
  const idle = options.idleTimeoutMillis ?? 300_000;
  // Each open connection with its `finish` (delivers or counts what is still buffered).
  const open = new Map<Socket, () => void>();

  const onConnection = (socket: Socket): void => {
    const from = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    if (allows && !allows(from.address)) {
      c.drop('not-allowed');
      sink.rejected?.(undefined, `sender ${from.address} is not in allowedSources`, from);
      socket.destroy();
      return;
    }
    if (open.size >= maxConnections) {
      c.drop('connection-limit');
      sink.rejected?.(undefined, `more than ${maxConnections} connections open, refused`, from);
      socket.destroy();
      return;
    }
    c.total.connections++;
    c.total.connectionsOpen++;
    const splitter = createSplitter(config.framing, maxLineBytes, {
      line: (bytes) => line(frameText(bytes), from),
      reject: (reason, message) => frameRejected(reason, message, from),
    }) as Splitter & { failed?: boolean };
    socket.setTimeout(idle);
    socket.on('timeout', () => socket.end());
    socket.on('data', (chunk: Buffer) => {
      c.total.bytes += chunk.length;
      splitter.push(chunk);
      // An octet-counted stream that lost its framing cannot be read on: closed (counted once).
      if (splitter.failed) socket.destroy();
    });
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      open.delete(socket);
      c.total.connectionsOpen--;
      if (state.closing) {
        // Complete lines were delivered; a partial one is lost at shutdown, counted.
        if (splitter.buffered > 0) {
          c.drop('shutdown');
          sink.rejected?.(undefined, 'partial line lost at shutdown', from);
        }
        return;
      }
      // The sender closed: its last line counts even without a final newline.
      splitter.end();
    };
    open.set(socket, finish);
    socket.on('end', () => {
      finish();
      socket.end();
    });
    socket.on('close', finish);
    socket.on('error', () => {
      /* reset by the peer: the partial line (if any) is delivered by finish() on close */
    });
  };

  let server: Server;
  if (config.transport === 'tls') {
    if (!config.tls)
      return Promise.reject(
        new Error(`listener "${config.name}": transport tls requires tls.certFile and tls.keyFile`),
      );
    let cert: Buffer, key: Buffer, ca: Buffer | undefined;
    try {
      cert = readFileSync(config.tls.certFile);
      key = readFileSync(config.tls.keyFile);
      ca = config.tls.caFile ? readFileSync(config.tls.caFile) : undefined;
    } catch (err) {
      return Promise.reject(
        new Error(`listener "${config.name}": cannot read its TLS files: ${(err as Error).message}`),
      );
    }
    // With a CA, senders must present a certificate it signed (mutual TLS, RFC 5425 §5).
    server = createTlsServer(
      { cert, key, ...(ca ? { ca, requestCert: true, rejectUnauthorized: true } : {}) },
      onConnection,
    );
    server.on('tlsClientError', (_err, socket) => {
      c.drop('not-allowed');
      sink.rejected?.(undefined, 'TLS handshake failed', {
        address: socket.remoteAddress ?? '',
        port: socket.remotePort ?? 0,
      });
    });
  } else {
    server = createServer(onConnection);
  }
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.bindAddress, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      resolve({
        config,
        address: () => ({ address: a.address, port: a.port }),
        stats: () => ({ ...c.total, rejected: { ...c.total.rejected }, droppedBy: { ...c.total.droppedBy } }),
        takeStats: () => c.take(),
        close: () =>
          new Promise<void>((res) => {
            state.closing = true;
            server.close(() => res());
            for (const [socket, finish] of [...open]) {
              finish();
              socket.destroy();
            }
          }),
      });
    });
  });
}
