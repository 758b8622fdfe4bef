#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadSettings, printableSettings, SettingsError } from './config.js';
import { enrol, EnrolError } from './enrol.js';
import { startAgent } from './agent.js';
import { agentVersion } from './version.js';
import { createJsonLogger } from './runtime/logger.js';
import { runUntilSignal } from './runtime/signals.js';
import { runLabCommand } from './lab/cli.js';

export const usage = `usage: tianshu-agent <command> [options]

commands:
  enrol   trade a bootstrap token for an identity (writes identity.json)
  run     run the enrolled agent until SIGTERM or SIGINT
  lab     run simulated routers answering SNMP on loopback until SIGTERM or SIGINT

options:
  --server <url>            control-plane url (enrol)             TIANSHU_AGENT_SERVER
  --token <token>           one-time bootstrap token (enrol)      TIANSHU_AGENT_TOKEN
  --state-dir <dir>         identity, config cache and queue      TIANSHU_AGENT_STATE_DIR
  --ca <file>               ca certificate of the server (pem)    TIANSHU_AGENT_CA_FILE
  --roles <list>            comma-separated roles, e.g. host      TIANSHU_AGENT_ROLES
  --metrics-listen <h:p>    serve /metrics and /healthz (run)     TIANSHU_AGENT_METRICS_LISTEN
  --inventory <file>        inventory YAML: devices, interfaces, links (lab)
  --scenario <file>         scenario YAML: credentials, load, timeline (lab; default quiet)
  --port-offset <n>         add n to every router's port (lab; port is snmp.port or 16100)
  --address-base <ipv4>     listen on base+1, base+2… in inventory order instead of the
                            devices' managementAddress (lab)
  --address <ipv4>          listen on this one address for every router (lab; routers then
                            need distinct ports: give --port-range)
  --port-range <a-b>        ports routers may move to when theirs is taken (lab; default:
                            none, a taken port stops the lab with exit code 2)
  --routers-file <file>     write where each router listens (JSON) once all listen (lab)
  --fast-v2c                answer SNMPv2c reads with the lab's fast responder, net-snmp's
                            agent only the rest (lab; for thousands of routers)
  --flows-netflow <h:p>     export NetFlow v9 / IPFIX of the routers to this collector (lab)
  --flows-sflow <h:p>       export sFlow of the routers to this collector (lab)
  --flows-protocol <p>      v9, ipfix, sflow or mix (default; in turn) for routers the
                            scenario gives no protocol (lab)
  --flows-sampling <n>      sample 1 in n packets on routers the scenario gives no rate (lab;
                            default 1 for NetFlow/IPFIX, 512 for sFlow)
  --flows-max-exporters <n> at most n routers export flows (lab; default 64)
  --flows-misreport <d:n>   router d samples as configured but reports rate n (lab)
  --attack <spec>           play an attack (lab; repeatable): KIND,SOURCE,TARGET,PPS,SECONDS[,AT]
                            KIND port-scan, host-scan or ddos; AT seconds after the start
  --print-config            print the effective configuration and exit
  --version                 print the version and exit
  --help                    print this help and exit

other settings come from the environment: TIANSHU_AGENT_HOST_INTERVAL_SECONDS,
TIANSHU_AGENT_QUEUE_MAX_BYTES, TIANSHU_AGENT_QUEUE_MAX_BATCHES, TIANSHU_AGENT_LOG_LEVEL,
TIANSHU_AGENT_REQUEST_TIMEOUT_SECONDS, TIANSHU_AGENT_RETRY_MAX_SECONDS, TIANSHU_PROC_ROOT.
`;

/** Output streams and environment of one CLI invocation, replaceable in tests. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIo: CliIo = {
  env: process.env,
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** Runs the CLI and resolves with the process exit code. */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        server: { type: 'string' },
        token: { type: 'string' },
        'state-dir': { type: 'string' },
        ca: { type: 'string' },
        roles: { type: 'string' },
        'metrics-listen': { type: 'string' },
        inventory: { type: 'string' },
        scenario: { type: 'string' },
        'port-offset': { type: 'string' },
        'address-base': { type: 'string' },
        address: { type: 'string' },
        'port-range': { type: 'string' },
        'routers-file': { type: 'string' },
        'fast-v2c': { type: 'boolean' },
        'flows-netflow': { type: 'string' },
        'flows-sflow': { type: 'string' },
        'flows-protocol': { type: 'string' },
        'flows-sampling': { type: 'string' },
        'flows-max-exporters': { type: 'string' },
        'flows-misreport': { type: 'string' },
        attack: { type: 'string', multiple: true },
        'print-config': { type: 'boolean' },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.err(`tianshu-agent: ${(err as Error).message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(usage);
    return 0;
  }
  if (values.version) {
    io.out(`tianshu-agent ${agentVersion}\n`);
    return 0;
  }
  let settings;
  try {
    settings = loadSettings(io.env, {
      server: values.server,
      token: values.token,
      stateDir: values['state-dir'],
      caFile: values.ca,
      roles: values.roles,
      metricsListen: values['metrics-listen'],
    });
  } catch (err) {
    io.err(`tianshu-agent: ${(err as Error).message}\n`);
    return 2;
  }
  if (values['print-config']) {
    io.out(JSON.stringify(printableSettings(settings), null, 2) + '\n');
    return 0;
  }
  const command = positionals[0];
  if (positionals.length > 1) {
    io.err(`tianshu-agent: unexpected argument "${positionals[1]}"\n`);
    return 2;
  }
  const log = createJsonLogger({ level: settings.logLevel, write: io.err });

  if (command === 'enrol' || command === 'enroll') {
    if (!settings.server || !settings.token) {
      io.err(
        'tianshu-agent: enrol needs --server and --token (or TIANSHU_AGENT_SERVER and TIANSHU_AGENT_TOKEN)\n',
      );
      return 2;
    }
    try {
      const r = await enrol({
        server: settings.server,
        token: settings.token,
        stateDir: settings.stateDir,
        roles: settings.roles,
        ...(settings.caFile ? { caFile: settings.caFile } : {}),
        timeoutMillis: settings.requestTimeoutSeconds * 1000,
        logger: log,
      });
      io.out(`enrolled as agent ${r.identity.agentId}; identity written to ${r.identityPath}\n`);
      return 0;
    } catch (err) {
      io.err(
        `tianshu-agent: ${err instanceof EnrolError ? err.message : `enrolment failed: ${(err as Error).message}`}\n`,
      );
      return 1;
    }
  }

  if (command === 'lab') {
    return await runLabCommand(
      {
        inventory: values.inventory,
        scenario: values.scenario,
        portOffset: values['port-offset'],
        addressBase: values['address-base'],
        address: values.address,
        portRange: values['port-range'],
        routersFile: values['routers-file'],
        fastV2c: values['fast-v2c'] === true,
        flowsNetflow: values['flows-netflow'],
        flowsSflow: values['flows-sflow'],
        flowsProtocol: values['flows-protocol'],
        flowsSampling: values['flows-sampling'],
        flowsMaxExporters: values['flows-max-exporters'],
        flowsMisreport: values['flows-misreport'],
        attack: values.attack,
      },
      log,
      io.err,
    );
  }

  if (command === 'run') {
    let agent;
    try {
      agent = await startAgent({ ...settings, logger: log });
    } catch (err) {
      io.err(`tianshu-agent: ${(err as Error).message}\n`);
      return err instanceof SettingsError ? 2 : 1;
    }
    return runUntilSignal(agent, log);
  }

  io.err(command ? `tianshu-agent: unknown command "${command}"\n\n${usage}` : usage);
  return 2;
}

function isEntryPoint(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`tianshu-agent: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
