#!/usr/bin/env node
import {
  seedSimulatedQuotas,
  startSimulatedClouds,
  type SimulatedClouds,
} from './quotas/clouds/simulated.js';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, redactConfig, type Config } from './config.js';
import { StorageFullError } from './errors.js';
import { createLogger } from './logger.js';
import { PolicyError, checkPolicies } from './policies/index.js';
import { allPolicyRefs } from './modules.js';
import { createControlPlane } from './server.js';
import { embeddedFlowPorts, embeddedSecurityPorts, startEmbeddedChildren } from './embedded.js';
import { Supervisor } from './embedded/supervisor.js';
import { VERSION } from './version.js';
import { sigmaCommand } from './security/sigma/check.js';

const HELP = `tianshu ${VERSION} — operations control plane for a provincial e-government

usage: tianshu [command] [--config FILE] [--print-config]

commands:
  serve             run the control plane (default)
  embedded          run with embedded stores under TIANSHU_DATA_DIR, the demo province,
                    and a host agent for this machine enrolled automatically
  policies check    validate the policy files in TIANSHU_POLICIES_DIR (or the given dir)
  sigma check DIR   compile every Sigma rule under DIR: one JSON line per rule, then a summary

options:
  --config FILE     YAML/JSON config file (also TIANSHU_CONFIG); TIANSHU_* variables override it
  --print-config    print the effective configuration (secrets masked) and exit
  --help, --version`;

function parseArgs(argv: string[]): { command: string[]; config?: string; printConfig: boolean } {
  const command: string[] = [];
  let config: string | undefined;
  let printConfig = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config') config = argv[++i];
    else if (a.startsWith('--config=')) config = a.slice('--config='.length);
    else if (a === '--print-config') printConfig = true;
    else if (a === '--help' || a === '-h') {
      console.log(HELP);
      process.exit(0);
    } else if (a === '--version') {
      console.log(VERSION);
      process.exit(0);
    } else if (a.startsWith('-')) {
      console.error(`unknown option ${a}\n\n${HELP}`);
      process.exit(2);
    } else command.push(a);
  }
  return { command, config, printConfig };
}

const here = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const cmd = args.command[0] ?? 'serve';
  if (cmd === 'sigma') {
    // Not process.exit(): stdout to a pipe is written asynchronously and would be cut short.
    process.exitCode = sigmaCommand(args.command.slice(1));
    return;
  }
  const embedded = cmd === 'embedded';
  /** Embedded mode on the demo province (its simulated clouds belong to its inventory). */
  let demo = false;
  let config: Config;
  try {
    config = loadConfig({ file: args.config });
    if (embedded && !config.inventoryFile && !process.env.TIANSHU_INVENTORY_FILE) {
      config = { ...config, inventoryFile: here('../inventory/demo-province.yaml') };
      demo = true;
      // The demo province's devices name these credentials (and the lab's routers answer them).
      if (!config.snmpCredentialsFile) {
        config = { ...config, snmpCredentialsFile: here('../inventory/demo-snmp-credentials.yaml') };
      }
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`tianshu: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  if (args.printConfig) {
    console.log(JSON.stringify(redactConfig(config), null, 2));
    return;
  }
  if (cmd === 'policies') {
    if (args.command[1] !== 'check') {
      console.error('usage: tianshu policies check [dir]');
      process.exit(2);
    }
    const dir = args.command[2] ?? config.policiesDir;
    const results = checkPolicies(dir, allPolicyRefs());
    for (const r of results)
      console.log(
        r.ok ? `ok    ${r.file}` : `FAIL  ${r.file}\n${r.problems.map((p) => `      ${p}`).join('\n')}`,
      );
    process.exit(results.every((r) => r.ok) ? 0 : 1);
  }
  if (cmd !== 'serve' && !embedded) {
    console.error(`unknown command "${cmd}"\n\n${HELP}`);
    process.exit(2);
  }
  // The lab's routers export flows to the embedded edge agent: ports left unset are picked free.
  if (embedded) config = await embeddedFlowPorts(config);
  // Security listeners (the control plane's CEF/EVE, the edge agent's syslog) on free loopback ports.
  if (embedded) config = await embeddedSecurityPorts(config);

  const log = createLogger(config.logLevel);
  // The demo province's clouds: fakes on free loopback ports, their connections loaded at start.
  let simulated: SimulatedClouds | undefined;
  if (embedded && demo && config.embedded.clouds && !config.cloudConnectionsFile) {
    try {
      simulated = await startSimulatedClouds(config.dataDir, log);
      config = { ...config, cloudConnectionsFile: simulated.file };
    } catch (err) {
      log.error(
        { err: (err as Error).message },
        'the simulated clouds did not start; the quota pages show no cloud data',
      );
    }
  }
  const consoleDir = process.env.TIANSHU_CONSOLE_DIR ?? here('../../console/dist');
  // Embedded children (agents, lab): restarted with back-off, listed at /api/v1/system/processes.
  const supervisor = new Supervisor({ log });
  let cp;
  try {
    cp = await createControlPlane({
      config,
      log,
      consoleDir: existsSync(consoleDir) ? consoleDir : undefined,
      processes: supervisor,
    });
  } catch (err) {
    if (err instanceof PolicyError || err instanceof ConfigError) {
      console.error(`tianshu: ${err.message}`);
      process.exit(2);
    }
    if (err instanceof StorageFullError) {
      console.error(`tianshu: cannot start: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const url = await cp.listen();
  const publicUrl = config.publicUrl ?? url;
  log.info(
    { url: publicUrl, version: VERSION, state: cp.services.db.kind, telemetry: cp.services.telemetry.kind },
    'control plane listening',
  );
  if (cp.generatedAdminPassword) {
    console.log(
      `\n  First start: user "admin" was created with password  ${cp.generatedAdminPassword}\n  It is shown only this once; change it after logging in.\n`,
    );
  }
  if (simulated) {
    await seedSimulatedQuotas(cp, log).catch((err: unknown) =>
      log.error({ err: (err as Error).message }, 'simulated province: seeding the quotas failed'),
    );
  }
  if (embedded) {
    await startEmbeddedChildren(cp, log, supervisor, {
      labScenario: here('../../agents/lab/scenarios/demo.yaml'),
    });
  }
  console.log(`\n  Tianshu console: ${publicUrl}/\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, graceSeconds: config.shutdownGraceSeconds }, 'shutting down');
    // /readyz answers 503 from now on, while the embedded agents flush and requests finish.
    cp.services.lifecycle.drain();
    const force = setTimeout(() => process.exit(1), (config.shutdownGraceSeconds + 15) * 1000);
    force.unref();
    await supervisor.stop().catch(() => undefined);
    await cp.stop();
    await simulated?.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(`tianshu: fatal: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
