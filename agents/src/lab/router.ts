import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import snmp from 'net-snmp';
import { FastV2cResponder, type FastV2cStats } from './fast-v2c.js';
import { encodeCounter64 } from './traffic.js';

/** Everything an interface reports at one instant. */
export interface InterfaceReading {
  adminUp: boolean;
  operUp: boolean;
  /** sysUpTime (hundredths of a second) of the last change of operational state. */
  lastChangeTicks: number;
  hcInOctets: bigint;
  hcOutOctets: bigint;
  hcInPkts: bigint;
  hcOutPkts: bigint;
  inErrors: bigint;
  outErrors: bigint;
  inDiscards: bigint;
  outDiscards: bigint;
}

/** The static description of one interface. */
export interface RouterInterfaceInfo {
  ifIndex: number;
  name: string;
  alias: string;
  speedMbps: number;
  mac: Buffer;
}

/** One LLDP neighbour as the local router has learnt it. */
export interface LldpNeighbourRow {
  localIfIndex: number;
  /** sysUpTime (hundredths of a second) when the neighbour was learnt. */
  timeMark: number;
  chassisId: Buffer;
  portId: string;
  portDesc: string;
  sysName: string;
  sysDesc: string;
}

/** ENTITY-MIB's entPhysicalTable row of the chassis (entPhysicalIndex 1). */
export interface EntityChassis {
  descr: string;
  name: string;
  vendor: string;
  model: string;
  serial: string;
  hardwareRev: string;
  firmwareRev: string;
  softwareRev: string;
}

/** How a router departs from a complete agent (see the scenario's `devices` section). */
export interface RouterQuirks {
  /** false: no ifXTable, only ifTable's 32-bit counters and ifSpeed. */
  ifXTable: boolean;
  /** noSuchInstance: sysUpTime.0 is answered noSuchInstance. */
  sysUpTime: 'normal' | 'noSuchInstance';
  /** false: no system group at all (sysDescr … sysServices answer noSuchObject). */
  systemGroup: boolean;
  /** false: no ENTITY-MIB chassis entry. */
  entityMib: boolean;
}

/** What a simulated router answers from; values are computed when they are read. */
export interface RouterModel {
  readonly deviceId: string;
  readonly quirks: RouterQuirks;
  readonly entity: EntityChassis;
  readonly sysDescr: string;
  readonly sysObjectId: string;
  readonly sysLocation: string;
  readonly chassisId: Buffer;
  readonly interfaces: readonly RouterInterfaceInfo[];
  upTimeTicks(): number;
  read(ifIndex: number): InterfaceReading | undefined;
  neighbours(): LldpNeighbourRow[];
}

/** A router could not bind its address and port; `code` is the system's (EADDRINUSE, EACCES…). */
export class ListenError extends Error {
  override name = 'ListenError';
  readonly code: string | undefined;

  constructor(
    readonly address: string,
    readonly port: number,
    cause: NodeJS.ErrnoException,
  ) {
    super(`cannot listen on ${address}:${port}: ${cause.message}`);
    this.code = cause.code;
  }

  /** Another process holds the port (or it is privileged): another port may work. */
  get portTaken(): boolean {
    return this.code === 'EADDRINUSE' || this.code === 'EACCES';
  }
}

export interface RouterOptions {
  address: string;
  port: number;
  communities: readonly string[];
  v3: { user: string; authKey: string; privKey: string };
  engineId: string;
  /** Called with errors the agent meets (bad packets, failed authentication). */
  onError?: (err: Error) => void;
  /**
   * Answer SNMPv2c GET, GETNEXT and GETBULK with the fast responder (fast-v2c.ts) instead of
   * net-snmp's agent, which still handles everything else (v1, v3, SET, unknown communities).
   */
  fastV2c?: boolean;
}

// The subset of net-snmp's (untyped) agent and MIB objects that the lab uses.
interface MibNode {
  address: number[];
  value: unknown;
  getTableColumnFromInstanceNode(): number | null;
}
interface MibRequest {
  instanceNode: MibNode;
  done(error?: { errorStatus: number }): void;
}
interface Mib {
  registerProvider(p: unknown): void;
  setScalarValue(name: string, value: unknown): void;
  addTableRow(name: string, row: unknown[]): void;
  deleteTableRow(name: string, index: unknown[]): boolean;
  getTableCells(name: string, byRow: boolean, includeInstances: boolean): unknown[][] | undefined;
}
interface NetSnmpAgent {
  getAuthorizer(): { addCommunity(c: string): void; addUser(u: snmp.User): void };
  close(cb?: () => void): void;
}

const T = snmp.ObjectType;
const ro = snmp.MaxAccess['read-only'];
const na = snmp.MaxAccess['not-accessible'];
const MAX32 = 0xffff_ffff;
const mask32 = (v: bigint): number => Number(v & 0xffff_ffffn);

const sys = '1.3.6.1.2.1.1';
const ifTableEntry = '1.3.6.1.2.1.2.2.1';
const ifXTableEntry = '1.3.6.1.2.1.31.1.1.1';
const entPhysicalEntry = '1.3.6.1.2.1.47.1.1.1.1';
const lldpLocal = '1.0.8802.1.1.2.1.3';
const lldpLocPortEntry = '1.0.8802.1.1.2.1.3.7.1';
const lldpRemEntry = '1.0.8802.1.1.2.1.4.1.1';

type Column = [number, string, number, number?];
const ifTableColumns: Column[] = [
  [1, 'ifIndex', T.Integer],
  [2, 'ifDescr', T.OctetString],
  [3, 'ifType', T.Integer],
  [4, 'ifMtu', T.Integer],
  [5, 'ifSpeed', T.Gauge],
  [6, 'ifPhysAddress', T.OctetString],
  [7, 'ifAdminStatus', T.Integer],
  [8, 'ifOperStatus', T.Integer],
  [9, 'ifLastChange', T.TimeTicks],
  [10, 'ifInOctets', T.Counter],
  [11, 'ifInUcastPkts', T.Counter],
  [13, 'ifInDiscards', T.Counter],
  [14, 'ifInErrors', T.Counter],
  [15, 'ifInUnknownProtos', T.Counter],
  [16, 'ifOutOctets', T.Counter],
  [17, 'ifOutUcastPkts', T.Counter],
  [19, 'ifOutDiscards', T.Counter],
  [20, 'ifOutErrors', T.Counter],
];
const ifXTableColumns: Column[] = [
  [1, 'ifName', T.OctetString],
  [6, 'ifHCInOctets', T.Counter64],
  [7, 'ifHCInUcastPkts', T.Counter64],
  [10, 'ifHCOutOctets', T.Counter64],
  [11, 'ifHCOutUcastPkts', T.Counter64],
  [14, 'ifLinkUpDownTrapEnable', T.Integer],
  [15, 'ifHighSpeed', T.Gauge],
  [16, 'ifPromiscuousMode', T.Integer],
  [17, 'ifConnectorPresent', T.Integer],
  [18, 'ifAlias', T.OctetString],
  [19, 'ifCounterDiscontinuityTime', T.TimeTicks],
];
const entPhysicalColumns: Column[] = [
  [1, 'entPhysicalIndex', T.Integer, na],
  [2, 'entPhysicalDescr', T.OctetString],
  [3, 'entPhysicalVendorType', T.OID],
  [4, 'entPhysicalContainedIn', T.Integer],
  [5, 'entPhysicalClass', T.Integer],
  [6, 'entPhysicalParentRelPos', T.Integer],
  [7, 'entPhysicalName', T.OctetString],
  [8, 'entPhysicalHardwareRev', T.OctetString],
  [9, 'entPhysicalFirmwareRev', T.OctetString],
  [10, 'entPhysicalSoftwareRev', T.OctetString],
  [11, 'entPhysicalSerialNum', T.OctetString],
  [12, 'entPhysicalMfgName', T.OctetString],
  [13, 'entPhysicalModelName', T.OctetString],
  [14, 'entPhysicalAlias', T.OctetString],
  [15, 'entPhysicalAssetID', T.OctetString],
  [16, 'entPhysicalIsFRU', T.Integer],
];
const lldpLocPortColumns: Column[] = [
  [1, 'lldpLocPortNum', T.Integer, na],
  [2, 'lldpLocPortIdSubtype', T.Integer],
  [3, 'lldpLocPortId', T.OctetString],
  [4, 'lldpLocPortDesc', T.OctetString],
];
const lldpRemColumns: Column[] = [
  [1, 'lldpRemTimeMark', T.TimeTicks, na],
  [2, 'lldpRemLocalPortNum', T.Integer, na],
  [3, 'lldpRemIndex', T.Integer, na],
  [4, 'lldpRemChassisIdSubtype', T.Integer],
  [5, 'lldpRemChassisId', T.OctetString],
  [6, 'lldpRemPortIdSubtype', T.Integer],
  [7, 'lldpRemPortId', T.OctetString],
  [8, 'lldpRemPortDesc', T.OctetString],
  [9, 'lldpRemSysName', T.OctetString],
  [10, 'lldpRemSysDesc', T.OctetString],
  [11, 'lldpRemSysCapSupported', T.OctetString],
  [12, 'lldpRemSysCapEnabled', T.OctetString],
];

const columnDefs = (cols: Column[]) =>
  cols.map(([number, name, type, access]) => ({ number, name, type, maxAccess: access ?? ro }));

// LLDP chassis id subtype macAddress(4), port id subtype interfaceName(5), capability router (bit 4).
const chassisSubtypeMac = 4;
const portSubtypeName = 5;
const capRouter = Buffer.from([0x08]);
const zero64 = Buffer.alloc(8);

/**
 * One simulated router: a net-snmp agent on its own UDP socket whose MIB holds the system group,
 * IF-MIB ifTable/ifXTable and LLDP-MIB local port and remote tables. Rows exist for every interface;
 * the values of the moving columns are filled in by provider handlers at the moment of the read.
 */
export class SnmpRouter {
  private readonly mib: Mib;
  private agent: NetSnmpAgent | null = null;
  private socket: Socket | null = null;
  private boundPort = 0;
  private lldpKeys: unknown[][] = [];
  private readonly fast: FastV2cResponder | null;

  constructor(
    private readonly model: RouterModel,
    private options: RouterOptions,
  ) {
    this.fast = options.fastV2c ? new FastV2cResponder(model, options.communities) : null;
    this.mib = snmp.createMib() as Mib;
    // net-snmp copies the whole table row into every answered varbind of a table, for the
    // callbacks of SET requests; the lab answers reads only, and the copy was a third of its CPU
    // time with thousands of routers (see test/bench/snmp-scale.mjs).
    (this.mib as unknown as { getTableRowCells: () => unknown[] }).getTableRowCells = () => [];
    this.buildMib();
  }

  /** Chooses another port before the next `start` (when the one asked for was taken). */
  usePort(port: number): void {
    if (this.agent) throw new Error('a listening router cannot change its port');
    this.options = { ...this.options, port };
    this.boundPort = 0;
  }

  /** The UDP port the router listens on (the actual one when asked for port 0). */
  get port(): number {
    return this.boundPort || this.options.port;
  }

  get listening(): boolean {
    return this.agent !== null;
  }

  /** Opens the socket; resolves once bound, rejects when the address or port cannot be bound. */
  async start(): Promise<void> {
    if (this.agent) return;
    const o = this.options;
    const port = this.boundPort || o.port;
    // net-snmp turns port 0 into 161 and reports bind errors only to the agent callback, so the
    // router hands it a dgram module whose socket it keeps: it binds the port asked for (0 included)
    // and tells the router whether the bind worked.
    let socket: Socket | null = null;
    const dgramModule = {
      createSocket: (type: 'udp4' | 'udp6'): Socket => {
        const s = createSocket(type);
        const bind = s.bind.bind(s) as (port: number, address: string) => Socket;
        (s as unknown as { bind: () => Socket }).bind = () => bind(port, o.address);
        socket = s;
        return s;
      },
    };
    const agent = snmp.createAgent(
      { port: port || 161, address: o.address, transport: 'udp4', engineID: o.engineId, dgramModule },
      (err: Error | null) => {
        if (err) o.onError?.(err);
      },
      this.mib,
    ) as NetSnmpAgent;
    const auth = agent.getAuthorizer();
    for (const c of o.communities) auth.addCommunity(c);
    auth.addUser({
      name: o.v3.user,
      level: snmp.SecurityLevel.authPriv,
      authProtocol: snmp.AuthProtocols.sha,
      authKey: o.v3.authKey,
      privProtocol: snmp.PrivProtocols.aes,
      privKey: o.v3.privKey,
    });
    const s = socket as Socket | null;
    try {
      if (!s) throw new Error('net-snmp did not create a socket');
      // A bind outcome is always reported asynchronously, so listening here misses nothing.
      await new Promise<void>((resolve, reject) => {
        const onError = (err: NodeJS.ErrnoException): void => {
          s.off('listening', onListening);
          reject(new ListenError(o.address, port, err));
        };
        const onListening = (): void => {
          s.off('error', onError);
          resolve();
        };
        s.once('error', onError);
        s.once('listening', onListening);
      });
    } catch (err) {
      try {
        agent.close();
      } catch {
        // The socket was never bound; there is nothing to close.
      }
      throw err;
    }
    if (this.fast) this.answerFast(s, this.fast);
    this.socket = s;
    this.boundPort = s.address().port;
    this.agent = agent;
  }

  /** What the fast responder did (null when the router does not use it). */
  get fastStats(): FastV2cStats | null {
    return this.fast ? { ...this.fast.stats } : null;
  }

  /**
   * Puts the fast responder in front of net-snmp's message handler on the router's socket: it
   * answers the v2c reads it handles and passes every other message on unchanged.
   */
  private answerFast(s: Socket, fast: FastV2cResponder): void {
    type OnMessage = (msg: Buffer, rinfo: RemoteInfo) => void;
    const netSnmp = s.listeners('message') as OnMessage[];
    s.removeAllListeners('message');
    const onError = this.options.onError;
    s.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      let out: Buffer | null;
      try {
        out = fast.answer(msg);
      } catch (err) {
        // A fault of the fast responder: net-snmp's agent answers instead, and the fault is told.
        onError?.(new Error(`fast v2c responder failed: ${(err as Error).message}`));
        out = null;
      }
      if (!out) {
        for (const l of netSnmp) l.call(s, msg, rinfo);
        return;
      }
      s.send(out, rinfo.port, rinfo.address, (err) => {
        if (err)
          onError?.(new Error(`cannot send the answer to ${rinfo.address}:${rinfo.port}: ${err.message}`));
      });
    });
  }

  /** Closes the socket; the router stops answering until `start` is called again. */
  async stop(): Promise<void> {
    const agent = this.agent;
    const socket = this.socket;
    if (!agent) return;
    this.agent = null;
    this.socket = null;
    await new Promise<void>((resolve) => {
      if (!socket) {
        agent.close();
        resolve();
        return;
      }
      socket.once('close', () => resolve());
      agent.close();
    });
  }

  /** Rebuilds the LLDP remote table from the model (after a link changed state). */
  refreshLldp(): void {
    for (const key of this.lldpKeys) this.mib.deleteTableRow('lldpRemTable', key);
    this.lldpKeys = [];
    const counts = new Map<number, number>();
    const neighbours = this.model.neighbours();
    this.fast?.refreshLldp(neighbours);
    for (const n of neighbours) {
      const idx = (counts.get(n.localIfIndex) ?? 0) + 1;
      counts.set(n.localIfIndex, idx);
      const key = [n.timeMark, n.localIfIndex, idx];
      this.mib.addTableRow('lldpRemTable', [
        ...key,
        chassisSubtypeMac,
        n.chassisId,
        portSubtypeName,
        n.portId,
        n.portDesc,
        n.sysName,
        n.sysDesc,
        capRouter,
        capRouter,
      ]);
      this.lldpKeys.push(key);
    }
  }

  private buildMib(): void {
    const m = this.model;
    const mib = this.mib;
    const scalar = (
      name: string,
      oid: string,
      type: number,
      value: unknown,
      handler?: (r: MibRequest) => void,
    ) => {
      mib.registerProvider({
        name,
        type: snmp.MibProviderType.Scalar,
        oid,
        scalarType: type,
        maxAccess: ro,
        ...(handler ? { handler } : {}),
      });
      mib.setScalarValue(name, value);
    };
    const q = m.quirks;
    if (q.systemGroup) {
      scalar('sysDescr', `${sys}.1`, T.OctetString, m.sysDescr);
      scalar('sysObjectID', `${sys}.2`, T.OID, m.sysObjectId);
      if (q.sysUpTime === 'noSuchInstance') {
        // The object is there without its instance: a get of sysUpTime.0 answers noSuchInstance.
        mib.registerProvider({
          name: 'sysUpTime',
          type: snmp.MibProviderType.Scalar,
          oid: `${sys}.3`,
          scalarType: T.TimeTicks,
          maxAccess: ro,
        });
      } else {
        scalar('sysUpTime', `${sys}.3`, T.TimeTicks, 0, (r) => {
          r.instanceNode.value = m.upTimeTicks();
          r.done();
        });
      }
      scalar('sysContact', `${sys}.4`, T.OctetString, 'tianshu lab');
      scalar('sysName', `${sys}.5`, T.OctetString, m.deviceId);
      scalar('sysLocation', `${sys}.6`, T.OctetString, m.sysLocation);
      scalar('sysServices', `${sys}.7`, T.Integer, 6);
    }
    scalar('ifNumber', '1.3.6.1.2.1.2.1', T.Integer, m.interfaces.length);

    const fill = (r: MibRequest, pick: (column: number, x: InterfaceReading) => unknown): void => {
      const node = r.instanceNode;
      const column = node.getTableColumnFromInstanceNode() ?? 0;
      const ifIndex = node.address[node.address.length - 1] ?? 0;
      const x = m.read(ifIndex);
      if (x) {
        const v = pick(column, x);
        if (v !== undefined) node.value = v;
      }
      r.done();
    };
    mib.registerProvider({
      name: 'ifTable',
      type: snmp.MibProviderType.Table,
      oid: ifTableEntry,
      maxAccess: na,
      tableColumns: columnDefs(ifTableColumns),
      tableIndex: [{ columnName: 'ifIndex' }],
      handler: (r: MibRequest) => fill(r, ifTableValue),
    });
    if (q.ifXTable) {
      mib.registerProvider({
        name: 'ifXTable',
        type: snmp.MibProviderType.Table,
        oid: ifXTableEntry,
        maxAccess: na,
        tableColumns: columnDefs(ifXTableColumns),
        tableAugments: 'ifTable',
        handler: (r: MibRequest) => fill(r, ifXTableValue),
      });
    }
    for (const i of m.interfaces) {
      const speedBps = Math.min(i.speedMbps * 1_000_000, MAX32);
      mib.addTableRow('ifTable', [
        i.ifIndex,
        i.name,
        6,
        1500,
        speedBps,
        i.mac,
        1,
        1,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
      ]);
      if (!q.ifXTable) continue;
      mib.addTableRow('ifXTable', [
        i.ifIndex,
        i.name,
        zero64,
        zero64,
        zero64,
        zero64,
        1,
        i.speedMbps,
        2,
        1,
        i.alias,
        0,
      ]);
    }

    if (q.entityMib) {
      mib.registerProvider({
        name: 'entPhysicalTable',
        type: snmp.MibProviderType.Table,
        oid: entPhysicalEntry,
        maxAccess: na,
        tableColumns: columnDefs(entPhysicalColumns),
        tableIndex: [{ columnName: 'entPhysicalIndex' }],
      });
      const e = m.entity;
      // One chassis(3), contained in nothing, field-replaceable false(2).
      mib.addTableRow('entPhysicalTable', [
        1,
        e.descr,
        m.sysObjectId,
        0,
        3,
        -1,
        e.name,
        e.hardwareRev,
        e.firmwareRev,
        e.softwareRev,
        e.serial,
        e.vendor,
        e.model,
        '',
        '',
        2,
      ]);
    }

    scalar('lldpLocChassisIdSubtype', `${lldpLocal}.1`, T.Integer, chassisSubtypeMac);
    scalar('lldpLocChassisId', `${lldpLocal}.2`, T.OctetString, m.chassisId);
    scalar('lldpLocSysName', `${lldpLocal}.3`, T.OctetString, m.deviceId);
    scalar('lldpLocSysDesc', `${lldpLocal}.4`, T.OctetString, m.sysDescr);
    mib.registerProvider({
      name: 'lldpLocPortTable',
      type: snmp.MibProviderType.Table,
      oid: lldpLocPortEntry,
      maxAccess: na,
      tableColumns: columnDefs(lldpLocPortColumns),
      tableIndex: [{ columnName: 'lldpLocPortNum' }],
    });
    // The LLDP local port number of an interface is its ifIndex, as on most routers.
    for (const i of m.interfaces) {
      mib.addTableRow('lldpLocPortTable', [i.ifIndex, portSubtypeName, i.name, i.alias]);
    }
    mib.registerProvider({
      name: 'lldpRemTable',
      type: snmp.MibProviderType.Table,
      oid: lldpRemEntry,
      maxAccess: na,
      tableColumns: columnDefs(lldpRemColumns),
      tableIndex: [
        { columnName: 'lldpRemTimeMark' },
        { columnName: 'lldpRemLocalPortNum' },
        { columnName: 'lldpRemIndex' },
      ],
    });
    this.refreshLldp();
  }
}

function ifTableValue(column: number, x: InterfaceReading): unknown {
  switch (column) {
    case 7:
      return x.adminUp ? 1 : 2;
    case 8:
      return x.operUp ? 1 : 2;
    case 9:
      return x.lastChangeTicks;
    case 10:
      return mask32(x.hcInOctets);
    case 11:
      return mask32(x.hcInPkts);
    case 13:
      return mask32(x.inDiscards);
    case 14:
      return mask32(x.inErrors);
    case 16:
      return mask32(x.hcOutOctets);
    case 17:
      return mask32(x.hcOutPkts);
    case 19:
      return mask32(x.outDiscards);
    case 20:
      return mask32(x.outErrors);
    default:
      return undefined;
  }
}

function ifXTableValue(column: number, x: InterfaceReading): unknown {
  switch (column) {
    case 6:
      return encodeCounter64(x.hcInOctets);
    case 7:
      return encodeCounter64(x.hcInPkts);
    case 10:
      return encodeCounter64(x.hcOutOctets);
    case 11:
      return encodeCounter64(x.hcOutPkts);
    default:
      return undefined;
  }
}
