import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatIssues, LabConfigError } from './errors.js';

const durationPattern = /^(\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const durationUnits: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** Parses `90`, `90s`, `1m30s`, `2h` or `500ms` into seconds. */
export function parseDuration(v: number | string): number {
  if (typeof v === 'number') return v;
  let total = 0;
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g))
    total += Number(m[1]) * durationUnits[m[2] as string]!;
  return total;
}

/** A duration: seconds as a number, or a string such as `90s`, `2m`, `1m30s`, `1h`. */
const Duration = z
  .union([
    z.number().nonnegative(),
    z.string().regex(durationPattern, 'a duration is seconds or a string such as 90s, 2m, 1m30s, 1h'),
  ])
  .transform(parseDuration);

const PositiveDuration = Duration.refine((s) => s > 0, 'the duration must be more than zero');

/** A link named by one of its ends (`device:ifIndex`) or by its pair and role. */
export const LinkRefSchema = z.union([
  z
    .string()
    .regex(/^[^:\s]+:\d+$/, 'a link is named by one of its ends as device:ifIndex, or by {pairId, role}'),
  z.object({ device: z.string().min(1), ifIndex: z.number().int().min(1) }).strict(),
  z.object({ pairId: z.string().min(1), role: z.enum(['primary', 'backup']) }).strict(),
]);
export type LinkRef = z.infer<typeof LinkRefSchema>;

const Fraction = z.number().min(0).max(1);

const Counter = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\d{1,20}$/, 'a decimal integer')])
  .transform((v) => BigInt(v))
  .refine((v) => v > 0n && v < 1n << 64n, 'must be between 1 and 2^64 - 1');

/** One attack of the scenario's `attacks:` section. */
export const AttackSchema = z
  .object({
    at: Duration,
    kind: z.enum(['port-scan', 'host-scan', 'ddos']),
    source: z.string().min(2).max(64),
    target: z.string().min(2).max(64),
    pps: z.number().positive().max(100_000_000),
    bps: z.number().positive().optional(),
    durationSeconds: z.number().int().min(1).max(86_400),
    port: z.number().int().min(1).max(65_535).optional(),
    sources: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict();
export type ScenarioAttack = z.infer<typeof AttackSchema>;

/** Fields every timeline event has: when it first happens and, optionally, how often it repeats. */
const timing = {
  /** Time after the lab starts. */
  at: Duration,
  /** Repeat with this period after the first time. */
  every: PositiveDuration.optional(),
};

export const ScenarioEventSchema = z.discriminatedUnion('type', [
  z
    .object({
      ...timing,
      type: z.literal('link-down'),
      link: LinkRefSchema,
      /** Shut the named end down administratively instead of cutting the line. */
      admin: z.boolean().default(false),
      /** Bring it back up after this long. */
      for: PositiveDuration.optional(),
    })
    .strict(),
  z.object({ ...timing, type: z.literal('link-up'), link: LinkRefSchema }).strict(),
  z.object({ ...timing, type: z.literal('device-reboot'), device: z.string().min(1) }).strict(),
  z
    .object({
      ...timing,
      type: z.literal('device-down'),
      device: z.string().min(1),
      for: PositiveDuration.optional(),
    })
    .strict(),
  z.object({ ...timing, type: z.literal('device-up'), device: z.string().min(1) }).strict(),
  z
    .object({
      ...timing,
      type: z.literal('saturate'),
      link: LinkRefSchema,
      load: Fraction.default(0.98),
      for: PositiveDuration,
    })
    .strict(),
  z
    .object({
      ...timing,
      type: z.literal('counter-near-wrap'),
      device: z.string().min(1),
      /** Octets left before the counters wrap. */
      remaining: Counter,
      /** Which counters: 64 (ifXTable's ifHC*Octets, the default) or 32 (ifTable's ifIn/OutOctets). */
      bits: z.union([z.literal(32), z.literal(64)]).default(64),
    })
    .strict(),
  z
    .object({
      ...timing,
      type: z.literal('flap'),
      link: LinkRefSchema,
      /** Time between a change of state and the next. */
      interval: PositiveDuration.default(5),
      for: PositiveDuration,
    })
    .strict(),
]);
export type ScenarioEvent = z.infer<typeof ScenarioEventSchema>;

/**
 * How one simulated device departs from a complete agent, to reproduce real devices' gaps:
 * `ifXTable: false` answers only IF-MIB ifTable (32-bit counters, ifSpeed), `sysUpTime:
 * noSuchInstance` answers sysUpTime.0 with noSuchInstance, `systemGroup: false` drops the whole
 * system group (sysDescr … sysServices), `entityMib: false` drops ENTITY-MIB's chassis entry.
 */
export const DeviceQuirksSchema = z
  .object({
    ifXTable: z.boolean().default(true),
    sysUpTime: z.enum(['normal', 'noSuchInstance']).default('normal'),
    systemGroup: z.boolean().default(true),
    entityMib: z.boolean().default(true),
  })
  .strict();
export type DeviceQuirks = z.infer<typeof DeviceQuirksSchema>;

/** A device without quirks. */
export const noQuirks: DeviceQuirks = {
  ifXTable: true,
  sysUpTime: 'normal',
  systemGroup: true,
  entityMib: true,
};

const levels = z
  .object({
    backbone: Fraction.optional(),
    city: Fraction.optional(),
    county: Fraction.optional(),
    township: Fraction.optional(),
    department: Fraction.optional(),
  })
  .strict();

/** `host:port` of a collector (IPv4, or IPv6 in brackets). */
const Endpoint = z
  .string()
  .regex(
    /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/,
    'a collector is host:port, such as 127.0.0.1:2055',
  );

export const FLOW_PROTOCOLS = ['v9', 'ipfix', 'sflow'] as const;
export type FlowProtocol = (typeof FLOW_PROTOCOLS)[number];
const SamplingRate = z.number().int().min(1).max(16_777_215);

/** How one router exports flows. */
export const FlowRouterSchema = z
  .object({
    /** false: this router exports nothing. */
    enabled: z.boolean().default(true),
    /** Default: the mix, by the router's position (v9, IPFIX, sFlow in turn). */
    protocol: z.enum(FLOW_PROTOCOLS).optional(),
    /** 1 in N packets (default: flows.samplingRate of the protocol). */
    samplingRate: SamplingRate.optional(),
    /** Per-interface sampling rates, keyed by ifIndex (ingress sampling: the interface the packet entered). */
    interfaces: z
      .record(z.string().regex(/^\d+$/, 'an interface key is its ifIndex'), SamplingRate)
      .default({}),
    /**
     * Misreport: the router samples at its real rate but says this one (options data, sFlow
     * samples), to show the reconciliation catching a wrong sampling rate.
     */
    reportedSamplingRate: SamplingRate.optional(),
  })
  .strict();
export type FlowRouter = z.infer<typeof FlowRouterSchema>;

/** Flow export of the lab's routers (NetFlow v9, IPFIX, sFlow), consistent with their SNMP counters. */
export const FlowsScenarioSchema = z
  .object({
    /** Export only where a collector is given (here or on the command line). */
    enabled: z.boolean().default(true),
    /** Where NetFlow v9 and IPFIX go, and where sFlow goes. */
    collector: z.object({ netflow: Endpoint.optional(), sflow: Endpoint.optional() }).strict().default({}),
    /** Which routers: every router (up to maxExporters) or only those listed under `routers`. */
    exporters: z.enum(['all', 'listed']).default('all'),
    routers: z.record(z.string().min(1), FlowRouterSchema).default({}),
    /** Default protocol of a router not given one: `mix` takes v9, IPFIX and sFlow in turn. */
    protocol: z.enum([...FLOW_PROTOCOLS, 'mix']).default('mix'),
    /** Default sampling rates by protocol family. */
    samplingRate: z
      .object({ netflow: SamplingRate.default(1), sflow: SamplingRate.default(512) })
      .strict()
      .default({ netflow: 1, sflow: 512 }),
    /** Seconds between exports (each covers the traffic counted since the last). */
    intervalSeconds: z.number().min(1).max(60).default(10),
    /** Templates and options are sent again every N datagrams and every M seconds. */
    templateEveryPackets: z.number().int().min(1).max(100_000).default(20),
    templateEverySeconds: z.number().min(1).max(3600).default(30),
    /** Bounds: exporting routers, datagrams per second per router and in total. */
    maxExporters: z.number().int().min(0).max(100_000).default(64),
    maxDatagramsPerSecond: z.number().int().min(1).max(100_000).default(100),
    maxTotalDatagramsPerSecond: z.number().int().min(1).max(1_000_000).default(2000),
    /** Share of flows over IPv6 where both ends have IPv6 prefixes. */
    ipv6Share: z.number().min(0).max(1).default(0.15),
  })
  .strict();
export type FlowsScenario = z.infer<typeof FlowsScenarioSchema>;

/** A lab scenario: credentials, traffic profile and a timeline of events. */
export const ScenarioSchema = z
  .object({
    /** Seed of every pseudo-random choice: the same seed gives the same traffic. */
    seed: z.number().int().min(0).max(4_294_967_295).default(1),
    snmp: z
      .object({
        communities: z.array(z.string().min(1).max(128)).min(1).default(['public']),
        v3: z
          .object({
            user: z.string().min(1).max(32).default('tianshu-lab'),
            authKey: z.string().min(8).max(256).default('tianshu-lab-auth'),
            privKey: z.string().min(8).max(256).default('tianshu-lab-priv'),
          })
          .strict()
          .default({ user: 'tianshu-lab', authKey: 'tianshu-lab-auth', privKey: 'tianshu-lab-priv' }),
      })
      .strict()
      .default({
        communities: ['public'],
        v3: { user: 'tianshu-lab', authKey: 'tianshu-lab-auth', privKey: 'tianshu-lab-priv' },
      }),
    load: z
      .object({
        /** Mean load of the downstream direction (towards the b end) by link level. */
        levels: levels.default({}),
        /** Upstream load as a fraction of downstream. */
        upstreamRatio: z.number().min(0).max(1).default(0.4),
        /** Relative amplitude of the daily cycle. */
        diurnalAmplitude: z.number().min(0).max(0.9).default(0.5),
        /** Relative amplitude of the faster variations. */
        noiseAmplitude: z.number().min(0).max(0.9).default(0.15),
        /** Local hour of the daily peak. */
        peakHour: z.number().min(0).max(24).default(15),
        /** Offset of local time from UTC, hours (China Standard Time by default). */
        utcOffsetHours: z.number().min(-14).max(14).default(8),
        /** Mean load of individual links, keyed by `device:ifIndex` of either end. */
        links: z
          .record(z.string().regex(/^[^:\s]+:\d+$/, 'a link key is device:ifIndex'), Fraction)
          .default({}),
        /**
         * Interfaces facing outside the lab (an internet egress), keyed by `device:ifIndex` of an
         * interface that ends no link: the mean load of its inbound direction (outbound is that ×
         * upstreamRatio). Their counters and exported flows carry internet traffic.
         */
        external: z
          .record(z.string().regex(/^[^:\s]+:\d+$/, 'an external interface key is device:ifIndex'), Fraction)
          .default({}),
      })
      .strict()
      .refine((l) => l.diurnalAmplitude + l.noiseAmplitude <= 0.95, {
        message: 'diurnalAmplitude + noiseAmplitude must not exceed 0.95 (the load would go negative)',
        path: ['noiseAmplitude'],
      })
      .default({
        levels: {},
        upstreamRatio: 0.4,
        diurnalAmplitude: 0.5,
        noiseAmplitude: 0.15,
        peakHour: 15,
        utcOffsetHours: 8,
        links: {},
        external: {},
      }),
    /** Per device id, how its agent departs from a complete one (see {@link DeviceQuirksSchema}). */
    devices: z.record(z.string().min(1), DeviceQuirksSchema).default({}),
    timeline: z.array(ScenarioEventSchema).max(10_000).default([]),
    /**
     * Attacks the lab plays through its flow exporters and SNMP counters (flows/attacks.ts): a port
     * scan, a host scan or a volumetric DDoS, `at` after the lab starts.
     */
    attacks: z.array(AttackSchema).max(64).default([]),
    /** Flow export (see {@link FlowsScenarioSchema}); absent: defaults, exporting once a collector is given. */
    flows: FlowsScenarioSchema.default(FlowsScenarioSchema.parse({})),
  })
  .strict();

export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type Scenario = z.infer<typeof ScenarioSchema>;

/** Validates a scenario object; the error names the field at fault (`timeline[2].link: ...`). */
export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  const r = ScenarioSchema.safeParse(input ?? {});
  if (!r.success) throw new LabConfigError(`${source} is not valid: ${formatIssues(r.error.issues)}`);
  return r.data;
}

/** Reads and validates a scenario YAML file. */
export async function loadScenario(file: string): Promise<Scenario> {
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(file, 'utf8'));
  } catch (err) {
    throw new LabConfigError(`${file}: ${(err as Error).message}`);
  }
  return parseScenario(doc, file);
}
