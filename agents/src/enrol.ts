import { hostname as osHostname, platform, arch as osArch } from 'node:os';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { EnrolRequest, EnrolResponse, paths } from '@tianshu/protocol';
import type { AgentRole } from '@tianshu/protocol';
import { HttpClient, HttpStatusError, NetworkError } from './runtime/client.js';
import { saveIdentity } from './identity.js';
import type { Identity } from './identity.js';
import { agentVersion } from './version.js';
import type { Logger } from './runtime/logger.js';
import { silentLogger } from './runtime/logger.js';

/** Options of {@link enrol}. */
export interface EnrolOptions {
  /** Control-plane base URL. */
  server: string;
  /** One-time bootstrap token. */
  token: string;
  /** Where identity.json is written. */
  stateDir: string;
  /** PEM file of the CA the server certificate must chain to; remembered in identity.json. */
  caFile?: string;
  roles?: AgentRole[];
  /** Defaults to the machine's host name, sanitised for the protocol. */
  hostname?: string;
  timeoutMillis?: number;
  logger?: Logger;
}

/** Result of a successful enrolment. */
export interface EnrolResult {
  identity: Identity;
  identityPath: string;
  orgUnitId: string;
  configVersion: string;
}

/** Enrolment failed; the message says why in terms an operator can act on. */
export class EnrolError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'EnrolError';
    this.status = status;
  }
}

/** Makes a host name acceptable to the protocol: letters, digits, ".", "_" and "-", at most 253. */
export function sanitiseHostname(name: string): string {
  const clean = name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 253);
  return clean || 'localhost';
}

/** Trades a bootstrap token for an identity and stores it in `stateDir/identity.json` (mode 0600). */
export async function enrol(options: EnrolOptions): Promise<EnrolResult> {
  if (!options.server) throw new EnrolError('enrolment requires the server url (--server)');
  if (!options.token) throw new EnrolError('enrolment requires a bootstrap token (--token)');
  if (!options.stateDir) throw new EnrolError('enrolment requires a state directory (--state-dir)');
  const log = options.logger ?? silentLogger;
  const caFile = options.caFile ? resolve(options.caFile) : undefined;
  let ca: Buffer | undefined;
  if (caFile) {
    try {
      ca = await readFile(caFile);
    } catch (err) {
      throw new EnrolError(`cannot read ca file ${caFile}: ${(err as Error).message}`);
    }
  }
  const request = EnrolRequest.safeParse({
    token: options.token,
    hostname: sanitiseHostname(options.hostname ?? osHostname()),
    roles: options.roles ?? ['host'],
    version: agentVersion,
    os: platform(),
    arch: osArch(),
  });
  if (!request.success) {
    throw new EnrolError(
      `invalid enrolment request: ${request.error.issues.map((i) => i.message).join('; ')}`,
    );
  }
  let client: HttpClient;
  try {
    client = new HttpClient({
      baseUrl: options.server,
      ...(ca ? { ca } : {}),
      timeoutMillis: options.timeoutMillis ?? 15_000,
      userAgent: `tianshu-agent/${agentVersion}`,
    });
  } catch (err) {
    throw new EnrolError((err as Error).message);
  }
  let raw: unknown;
  try {
    raw = await client.json('POST', paths.enrol, request.data);
  } catch (err) {
    if (err instanceof HttpStatusError) {
      const hint =
        err.status === 401 || err.status === 403 ? ' (is the bootstrap token valid and unused?)' : '';
      throw new EnrolError(`enrolment refused by server (${err.status}): ${err.message}${hint}`, err.status);
    }
    if (err instanceof NetworkError) throw new EnrolError(`enrolment failed: ${err.message}`);
    throw err;
  } finally {
    client.close();
  }
  const response = EnrolResponse.safeParse(raw);
  if (!response.success) throw new EnrolError('enrolment answer from the server does not match the protocol');
  const identity: Identity = {
    serverUrl: client.baseUrl.toString().replace(/\/$/, ''),
    agentId: response.data.agentId,
    credential: response.data.credential,
    ...(caFile ? { caFile } : {}),
  };
  const identityPath = await saveIdentity(options.stateDir, identity);
  log.info('agent enrolled', { agentId: identity.agentId, orgUnitId: response.data.orgUnitId, identityPath });
  return {
    identity,
    identityPath,
    orgUnitId: response.data.orgUnitId,
    configVersion: response.data.configVersion,
  };
}
