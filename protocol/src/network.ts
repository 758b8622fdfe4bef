import { z } from 'zod';
import { counter64Column, intColumn, nullableCountColumn, textColumn } from './columns.js';
import { text } from './text.js';

/**
 * Wire types of the extranet monitoring (edge agent ↔ control plane). Counter64 values travel as
 * decimal strings, since JSON numbers lose precision above 2^53.
 */
export const Counter64 = text()
  .regex(/^\d{1,20}$/, 'a Counter64 is a decimal string of up to 20 digits')
  .refine((s) => BigInt(s) <= 18_446_744_073_709_551_615n, 'a Counter64 is at most 2^64 - 1');

/** PostgreSQL `integer` columns hold at most this (ifIndex, speeds). */
export const INT4_MAX = 2_147_483_647;
/** Unix milliseconds of 2100-01-01: the latest timestamp a report may carry. */
export const MAX_TIMESTAMP_MILLIS = 4_102_444_800_000;

/** SNMP credentials as the control plane hands them to the edge agent that polls the device. */
export const SnmpV2cCredentials = z
  .object({ version: z.literal('2c'), community: text().min(1).max(128) })
  .strict();
export const SnmpV3Credentials = z
  .object({
    version: z.literal('3'),
    user: text().min(1).max(64),
    level: z.enum(['noAuthNoPriv', 'authNoPriv', 'authPriv']),
    authProtocol: z.enum(['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512']).optional(),
    authKey: text().min(8).max(256).optional(),
    privProtocol: z.enum(['des', 'aes', 'aes256b', 'aes256r']).optional(),
    privKey: text().min(8).max(256).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.level !== 'noAuthNoPriv' && (!c.authProtocol || !c.authKey)) {
      ctx.addIssue({
        code: 'custom',
        path: ['authKey'],
        message: `${c.level} needs authProtocol and authKey`,
      });
    }
    if (c.level === 'authPriv' && (!c.privProtocol || !c.privKey)) {
      ctx.addIssue({ code: 'custom', path: ['privKey'], message: 'authPriv needs privProtocol and privKey' });
    }
  });
export const SnmpCredentials = z.union([SnmpV2cCredentials, SnmpV3Credentials]);
export type SnmpCredentials = z.infer<typeof SnmpCredentials>;

/** One device an edge agent polls. */
export const PollTarget = z
  .object({
    deviceId: text().min(1).max(63),
    /** Host name or IP address of the SNMP agent. */
    address: text().min(1).max(253),
    port: z.number().int().min(1).max(65535).default(161),
    credentials: SnmpCredentials,
    timeoutMs: z.number().int().min(100).max(60_000).default(2000),
    retries: z.number().int().min(0).max(5).default(1),
    maxRepetitions: z.number().int().min(1).max(200).default(50),
    /**
     * Changes when someone asks for this device's discovery now (the console's "discover now", a
     * device just added): the agent discovers a target at once when its token differs from the one
     * it last discovered with, besides the periodic cycle.
     */
    discoveryToken: text().max(100).optional(),
  })
  .strict();
export type PollTarget = z.infer<typeof PollTarget>;

/**
 * A bounded sweep of an address range for SNMP agents answering with the given credentials (add a
 * subnet): the agent probes each address once (sysObjectID, sysName, sysDescr) and reports a
 * `sweep` payload; the control plane adds the devices that answered. At most 1,024 addresses.
 */
export const SweepTarget = z
  .object({
    sweepId: text().min(1).max(63),
    /** The addresses to probe, listed (the control plane expands and bounds the CIDR). */
    addresses: z.array(text().min(1).max(253)).min(1).max(1024),
    port: z.number().int().min(1).max(65535).default(161),
    credentials: SnmpCredentials,
    timeoutMs: z.number().int().min(100).max(60_000).default(1000),
    retries: z.number().int().min(0).max(5).default(0),
  })
  .strict();
export type SweepTarget = z.infer<typeof SweepTarget>;

/** The edge role's part of the agent config. */
export const EdgeConfig = z
  .object({
    enabled: z.boolean(),
    pollIntervalSeconds: z.number().int().min(5).max(3600),
    discoveryIntervalSeconds: z.number().int().min(60).max(86_400),
    /** Devices polled at the same time; one slow device never delays the others beyond this. */
    concurrency: z.number().int().min(1).max(1024),
    targets: z.array(PollTarget).max(50_000),
    /** Sweeps to run once each (by `sweepId`); absent or empty when none is pending. */
    sweeps: z.array(SweepTarget).max(16).optional(),
  })
  .strict();
export type EdgeConfig = z.infer<typeof EdgeConfig>;

/** IF-MIB ifOperStatus / ifAdminStatus values. */
export const IfStatus = z.enum([
  'up',
  'down',
  'testing',
  'unknown',
  'dormant',
  'notPresent',
  'lowerLayerDown',
]);
export type IfStatus = z.infer<typeof IfStatus>;

export const InterfaceSample = z
  .object({
    ifIndex: z.number().int().min(1).max(INT4_MAX),
    name: text().max(256),
    alias: text().max(256),
    operStatus: IfStatus,
    adminStatus: IfStatus,
    /** ifHighSpeed, Mbit/s (from ifSpeed when the device has no ifHighSpeed). */
    speedMbps: z.number().int().min(0).max(INT4_MAX),
    /**
     * Which octet counters the rates come from: 64-bit ifXTable (ifHCInOctets/ifHCOutOctets), or
     * 32-bit ifTable (ifInOctets/ifOutOctets) on devices or interfaces without them. Absent = 64.
     */
    counterBits: z.union([z.literal(64), z.literal(32)]).optional(),
    inOctets: Counter64,
    outOctets: Counter64,
    inErrors: Counter64,
    outErrors: Counter64,
    inDiscards: Counter64,
    outDiscards: Counter64,
    /**
     * Rates since the previous poll of this interface; null on the first poll and after a reset
     * (sysUpTime went back), so a reboot never shows as a spike.
     */
    rates: z
      .object({
        inBitsPerSecond: z.number().nonnegative(),
        outBitsPerSecond: z.number().nonnegative(),
        inErrorsPerSecond: z.number().nonnegative(),
        outErrorsPerSecond: z.number().nonnegative(),
        inDiscardsPerSecond: z.number().nonnegative(),
        outDiscardsPerSecond: z.number().nonnegative(),
        intervalSeconds: z.number().positive(),
      })
      .strict()
      .nullable(),
    /** What happened to the counters since the previous poll, when not a plain increase. */
    counterEvent: z.enum(['wrap', 'reset']).optional(),
  })
  .strict();
export type InterfaceSample = z.infer<typeof InterfaceSample>;

/**
 * The outcome of a poll or discovery: `ok`; `partial` (answered, but some columns or counters were
 * missing: see `missing`); `timeout` (no answer); `auth` (SNMPv3 authentication or privacy refused,
 * or a community the agent ignores shows as `timeout`); `agent-error` (the agent answered with an SNMP
 * error or noSuchObject/noSuchInstance where a value was needed); `error` (anything else: malformed
 * answers, wrong types, a walk that did not progress).
 */
export const PollOutcome = z.enum(['ok', 'partial', 'timeout', 'auth', 'agent-error', 'error']);
export type PollOutcome = z.infer<typeof PollOutcome>;

/** One poll of one device. */
export const InterfacePollPayload = z
  .object({
    kind: z.literal('interface-poll'),
    deviceId: text().min(1).max(63),
    /** Unix milliseconds when the poll started. */
    polledAt: z.number().int().nonnegative().max(MAX_TIMESTAMP_MILLIS),
    durationMs: z.number().nonnegative(),
    /** True when the device answered; false with `error` otherwise. */
    reachable: z.boolean(),
    error: text().max(1000).optional(),
    /** What the poll came to (absent from older agents: `ok`, or `error` when `error` is set). */
    outcome: PollOutcome.optional(),
    /**
     * With `partial`: what the device left out, e.g. `ifHCInOctets` (whole columns) or
     * `ifIndex 5001: ifHCInOctets` (one interface's counters), at most 100 entries.
     */
    missing: z.array(text().max(200)).max(100).optional(),
    /** Things the operator should know that are not failures, e.g. a poll interval too long for 32-bit counters. */
    warnings: z.array(text().max(500)).max(100).optional(),
    /** sysUpTime in hundredths of a second. */
    sysUpTime: z.number().int().nonnegative().optional(),
    interfaces: z.array(InterfaceSample).max(100_000),
  })
  .strict();
export type InterfacePollPayload = z.infer<typeof InterfacePollPayload>;

const MAX_POLL_INTERFACES = 100_000;
const STATUS_PATTERN = {
  re: /^(?:up|down|testing|unknown|dormant|notPresent|lowerLayerDown)$/,
  message: 'must be an IF-MIB status (up, down, testing, unknown, dormant, notPresent, lowerLayerDown)',
};
const RATE_COLUMNS = [
  'inBitsPerSecond',
  'outBitsPerSecond',
  'inErrorsPerSecond',
  'outErrorsPerSecond',
  'inDiscardsPerSecond',
  'outDiscardsPerSecond',
] as const;

/**
 * The interfaces of a poll as columns: element `i` of every column belongs to interface `i`. Same
 * fields and checks as `InterfaceSample`; `counterBits` is 64 or 32; the rates are `null` for an
 * interface without rates (first poll, after a reset), and then all seven are; `counterEvent` is `''`
 * when the counters simply increased.
 */
const InterfaceColumns = z
  .object({
    ifIndex: intColumn(1, INT4_MAX, MAX_POLL_INTERFACES),
    name: textColumn(256, undefined, MAX_POLL_INTERFACES),
    alias: textColumn(256, undefined, MAX_POLL_INTERFACES),
    operStatus: textColumn(16, STATUS_PATTERN, MAX_POLL_INTERFACES),
    adminStatus: textColumn(16, STATUS_PATTERN, MAX_POLL_INTERFACES),
    speedMbps: intColumn(0, INT4_MAX, MAX_POLL_INTERFACES),
    counterBits: textColumn(2, { re: /^(?:32|64)$/, message: 'must be "64" or "32"' }, MAX_POLL_INTERFACES),
    inOctets: counter64Column(MAX_POLL_INTERFACES),
    outOctets: counter64Column(MAX_POLL_INTERFACES),
    inErrors: counter64Column(MAX_POLL_INTERFACES),
    outErrors: counter64Column(MAX_POLL_INTERFACES),
    inDiscards: counter64Column(MAX_POLL_INTERFACES),
    outDiscards: counter64Column(MAX_POLL_INTERFACES),
    inBitsPerSecond: nullableCountColumn(Number.MAX_VALUE, MAX_POLL_INTERFACES),
    outBitsPerSecond: nullableCountColumn(Number.MAX_VALUE, MAX_POLL_INTERFACES),
    inErrorsPerSecond: nullableCountColumn(Number.MAX_VALUE, MAX_POLL_INTERFACES),
    outErrorsPerSecond: nullableCountColumn(Number.MAX_VALUE, MAX_POLL_INTERFACES),
    inDiscardsPerSecond: nullableCountColumn(Number.MAX_VALUE, MAX_POLL_INTERFACES),
    outDiscardsPerSecond: nullableCountColumn(Number.MAX_VALUE, MAX_POLL_INTERFACES),
    intervalSeconds: nullableCountColumn(Number.MAX_VALUE, MAX_POLL_INTERFACES),
    counterEvent: textColumn(
      5,
      { re: /^(?:|wrap|reset)$/, message: 'must be "", "wrap" or "reset"' },
      MAX_POLL_INTERFACES,
    ),
  })
  .strict();
export type InterfaceColumns = z.infer<typeof InterfaceColumns>;

/**
 * One poll of one device with its interfaces as columns (`encoding: "columnar"`), what current edge
 * agents send; `InterfacePollPayload` (an object per interface) is what older agents send and stays
 * accepted. `interfacePollRows` gives the object form.
 */
export const InterfacePollColumnarPayload = InterfacePollPayload.omit({ interfaces: true })
  .extend({
    encoding: z.literal('columnar'),
    /** The number of interfaces: the length of every column. */
    rows: z.number().int().min(0).max(MAX_POLL_INTERFACES),
    interfaces: InterfaceColumns,
  })
  .strict()
  .superRefine((p, ctx) => {
    for (const [name, column] of Object.entries(p.interfaces)) {
      if ((column as unknown[]).length !== p.rows) {
        ctx.addIssue({
          code: 'custom',
          path: ['interfaces', name],
          message: `has ${(column as unknown[]).length} elements, rows is ${p.rows}`,
        });
        return;
      }
    }
    const c = p.interfaces;
    for (let i = 0; i < p.rows; i++) {
      const interval = c.intervalSeconds[i];
      if (interval === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['interfaces', 'intervalSeconds', i],
          message: 'must be positive',
        });
        return;
      }
      for (const r of RATE_COLUMNS) {
        if ((c[r][i] === null) !== (interval === null)) {
          ctx.addIssue({
            code: 'custom',
            path: ['interfaces', r, i],
            message: 'the rates of an interface are all null (no rates) or all numbers',
          });
          return;
        }
      }
    }
  });
export type InterfacePollColumnarPayload = z.infer<typeof InterfacePollColumnarPayload>;

/** An interface poll in either encoding, as reports carry it. */
export const InterfacePollReport = z.discriminatedUnion('encoding', [
  InterfacePollColumnarPayload,
  InterfacePollPayload.extend({ encoding: z.literal('rows').optional() }).strict(),
]);
export type InterfacePollReport = z.infer<typeof InterfacePollReport>;

/** The columnar form of a poll (what the edge agent sends). */
export function encodeInterfacePoll(poll: InterfacePollPayload): InterfacePollColumnarPayload {
  const { interfaces, ...rest } = poll;
  const column = <T>(f: (i: InterfaceSample) => T): T[] => interfaces.map(f);
  const columns: InterfaceColumns = {
    ifIndex: column((i) => i.ifIndex),
    name: column((i) => i.name),
    alias: column((i) => i.alias),
    operStatus: column((i) => i.operStatus),
    adminStatus: column((i) => i.adminStatus),
    speedMbps: column((i) => i.speedMbps),
    counterBits: column((i) => String(i.counterBits ?? 64)),
    inOctets: column((i) => i.inOctets),
    outOctets: column((i) => i.outOctets),
    inErrors: column((i) => i.inErrors),
    outErrors: column((i) => i.outErrors),
    inDiscards: column((i) => i.inDiscards),
    outDiscards: column((i) => i.outDiscards),
    inBitsPerSecond: column((i) => i.rates?.inBitsPerSecond ?? null),
    outBitsPerSecond: column((i) => i.rates?.outBitsPerSecond ?? null),
    inErrorsPerSecond: column((i) => i.rates?.inErrorsPerSecond ?? null),
    outErrorsPerSecond: column((i) => i.rates?.outErrorsPerSecond ?? null),
    inDiscardsPerSecond: column((i) => i.rates?.inDiscardsPerSecond ?? null),
    outDiscardsPerSecond: column((i) => i.rates?.outDiscardsPerSecond ?? null),
    intervalSeconds: column((i) => i.rates?.intervalSeconds ?? null),
    counterEvent: column((i) => i.counterEvent ?? ''),
  };
  return { ...rest, encoding: 'columnar', rows: interfaces.length, interfaces: columns };
}

/** The object form of a poll in either encoding (one `InterfaceSample` per interface). */
export function interfacePollRows(poll: InterfacePollReport): InterfacePollPayload {
  if (poll.encoding !== 'columnar') {
    if (poll.encoding === undefined) return poll;
    const { encoding: _encoding, ...rest } = poll;
    return rest;
  }
  const { encoding: _encoding, rows, interfaces: c, ...rest } = poll;
  const interfaces: InterfaceSample[] = [];
  for (let i = 0; i < rows; i++) {
    const interval = c.intervalSeconds[i] ?? null;
    const sample: InterfaceSample = {
      ifIndex: c.ifIndex[i]!,
      name: c.name[i]!,
      alias: c.alias[i]!,
      operStatus: c.operStatus[i] as IfStatus,
      adminStatus: c.adminStatus[i] as IfStatus,
      speedMbps: c.speedMbps[i]!,
      counterBits: c.counterBits[i] === '32' ? 32 : 64,
      inOctets: c.inOctets[i]!,
      outOctets: c.outOctets[i]!,
      inErrors: c.inErrors[i]!,
      outErrors: c.outErrors[i]!,
      inDiscards: c.inDiscards[i]!,
      outDiscards: c.outDiscards[i]!,
      rates:
        interval === null
          ? null
          : {
              inBitsPerSecond: c.inBitsPerSecond[i]!,
              outBitsPerSecond: c.outBitsPerSecond[i]!,
              inErrorsPerSecond: c.inErrorsPerSecond[i]!,
              outErrorsPerSecond: c.outErrorsPerSecond[i]!,
              inDiscardsPerSecond: c.inDiscardsPerSecond[i]!,
              outDiscardsPerSecond: c.outDiscardsPerSecond[i]!,
              intervalSeconds: interval,
            },
    };
    const event = c.counterEvent[i];
    if (event === 'wrap' || event === 'reset') sample.counterEvent = event;
    interfaces.push(sample);
  }
  return { ...rest, interfaces };
}

export const LldpNeighbour = z
  .object({
    localIfIndex: z.number().int().min(0).max(INT4_MAX),
    localPortName: text().max(256).optional(),
    remoteChassisId: text().max(256),
    remotePortId: text().max(256),
    remoteSysName: text().max(256),
    remotePortDescription: text().max(256).optional(),
  })
  .strict();
export type LldpNeighbour = z.infer<typeof LldpNeighbour>;

/** What discovery found on one device: system, interfaces and LLDP neighbours. */
export const DiscoveryPayload = z
  .object({
    kind: z.literal('discovery'),
    deviceId: text().min(1).max(63),
    at: z.number().int().nonnegative().max(MAX_TIMESTAMP_MILLIS),
    reachable: z.boolean(),
    error: text().max(1000).optional(),
    /** As for polls; a device that answers nothing useful (no system group, no interfaces) is not `ok`. */
    outcome: PollOutcome.optional(),
    missing: z.array(text().max(200)).max(100).optional(),
    sysName: text().max(256).optional(),
    sysDescr: text().max(1024).optional(),
    sysObjectId: text().max(256).optional(),
    sysLocation: text().max(256).optional(),
    sysContact: text().max(256).optional(),
    /** sysUpTime in hundredths of a second. */
    sysUpTime: z.number().int().nonnegative().optional(),
    /**
     * What ENTITY-MIB says of the chassis (the first entPhysicalTable entry of class chassis(3), else
     * the first without a container): `vendor` from entPhysicalMfgName, `model` entPhysicalModelName,
     * `serial` entPhysicalSerialNum, `softwareRevision` / `firmwareRevision` / `hardwareRevision`.
     */
    entity: z
      .object({
        vendor: text().max(256).optional(),
        model: text().max(256).optional(),
        serial: text().max(256).optional(),
        softwareRevision: text().max(256).optional(),
        firmwareRevision: text().max(256).optional(),
        hardwareRevision: text().max(256).optional(),
      })
      .strict()
      .optional(),
    interfaces: z
      .array(
        z
          .object({
            ifIndex: z.number().int().min(1).max(INT4_MAX),
            name: text().max(256),
            alias: text().max(256),
            /** ifDescr (absent from older agents). */
            descr: text().max(256).optional(),
            type: z.number().int().min(0).max(INT4_MAX),
            /** ifHighSpeed, or ifSpeed / 10^6 when the device has no ifHighSpeed for it. */
            speedMbps: z.number().int().min(0).max(INT4_MAX),
            /** ifPhysAddress as lower-case colon-separated hex, when it has one. */
            mac: text().max(64).optional(),
            adminStatus: IfStatus.optional(),
            operStatus: IfStatus.optional(),
            /** 64 when the interface has ifHCInOctets, 32 when only ifInOctets. */
            counterBits: z.union([z.literal(64), z.literal(32)]).optional(),
          })
          .strict(),
      )
      .max(100_000),
    neighbours: z.array(LldpNeighbour).max(10_000),
  })
  .strict();
export type DiscoveryPayload = z.infer<typeof DiscoveryPayload>;

/** What a sweep found: the addresses that answered, with what they said of themselves. */
export const SweepPayload = z
  .object({
    kind: z.literal('sweep'),
    sweepId: text().min(1).max(63),
    at: z.number().int().nonnegative().max(MAX_TIMESTAMP_MILLIS),
    /** Addresses probed (all of the sweep's unless it was cut short, then `error` says why). */
    probed: z.number().int().nonnegative().max(1024),
    error: text().max(1000).optional(),
    found: z
      .array(
        z
          .object({
            address: text().min(1).max(253),
            sysName: text().max(256).optional(),
            sysObjectId: text().max(256).optional(),
            sysDescr: text().max(1024).optional(),
          })
          .strict(),
      )
      .max(1024),
  })
  .strict();
export type SweepPayload = z.infer<typeof SweepPayload>;
