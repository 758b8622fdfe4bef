import { z } from 'zod';
import { text } from './text.js';
import { EdgeConfig } from './network.js';
import { FlowCollectorConfig } from './flows.js';
import { FlowDetectionConfig, SecurityCollectorConfig } from './security.js';

/** Roles an agent process can run; one process may combine several. */
export const AgentRole = z.enum(['host', 'edge', 'lab']);
export type AgentRole = z.infer<typeof AgentRole>;

const hostname = text()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9._-]+$/, 'hostname may contain letters, digits, ".", "_" and "-" only');

/** `POST /api/v1/fleet/enrol` — the agent trades a bootstrap token for an identity. */
export const EnrolRequest = z
  .object({
    token: text().min(8, 'enrolment token is too short').max(256),
    hostname,
    roles: z.array(AgentRole).min(1).max(3),
    version: text().min(1).max(64),
    os: text().max(128).optional(),
    arch: text().max(32).optional(),
  })
  .strict();
export type EnrolRequest = z.infer<typeof EnrolRequest>;

export const EnrolResponse = z
  .object({
    agentId: text().uuid(),
    /** Long-lived credential; shown once, the server keeps only its hash. */
    credential: text().min(32),
    orgUnitId: text(),
    configVersion: text(),
  })
  .strict();
export type EnrolResponse = z.infer<typeof EnrolResponse>;

/** `POST /api/v1/agents/{id}/heartbeat` */
export const HeartbeatRequest = z
  .object({
    version: text().min(1).max(64),
    uptimeSeconds: z.number().nonnegative(),
    queue: z
      .object({
        pendingBatches: z.number().int().nonnegative(),
        pendingBytes: z.number().int().nonnegative(),
        droppedBatches: z.number().int().nonnegative(),
        /** Dropped batches by reason: queue bound reached, disk full, other write error. */
        droppedReasons: z
          .object({
            full: z.number().int().nonnegative(),
            enospc: z.number().int().nonnegative(),
            write_error: z.number().int().nonnegative(),
          })
          .strict()
          .optional(),
        /** When the agent last dropped a batch (ISO 8601). */
        lastDropAt: z.string().datetime().optional(),
      })
      .strict(),
    configVersion: text().max(128).optional(),
  })
  .strict();
export type HeartbeatRequest = z.infer<typeof HeartbeatRequest>;

export const HeartbeatResponse = z
  .object({
    serverTime: text(),
    /** The agent re-pulls its config when this differs from what it holds. */
    configVersion: text(),
  })
  .strict();
export type HeartbeatResponse = z.infer<typeof HeartbeatResponse>;

/** `GET /api/v1/agents/{id}/config` — what the agent should do. */
export const AgentConfig = z
  .object({
    configVersion: text(),
    heartbeatIntervalSeconds: z.number().int().min(1).max(3600),
    host: z
      .object({
        enabled: z.boolean(),
        intervalSeconds: z.number().int().min(1).max(3600),
      })
      .strict(),
    report: z
      .object({
        /** Largest number of samples the agent puts in one batch. */
        maxSamplesPerBatch: z.number().int().min(1).max(1_000_000),
        flushIntervalSeconds: z.number().int().min(1).max(3600),
      })
      .strict(),
    /** Present for agents with the edge role: the devices to poll, with their credentials. */
    edge: EdgeConfig.optional(),
    /** Present for edge agents that collect flows: the collector's ports, sources and key. */
    flows: FlowCollectorConfig.optional(),
    /** Present for edge agents that receive security events: their listeners and files. */
    security: SecurityCollectorConfig.optional(),
    /** Present for edge agents that collect flows and run detections on them. */
    detections: FlowDetectionConfig.optional(),
  })
  // Each section is strict; sections this agent does not know (a newer control plane's modules)
  // pass through untouched, so an older agent keeps working and ignores them.
  .loose();
export type AgentConfig = z.infer<typeof AgentConfig>;
