import type { TestProject } from 'vitest/node';
import { startPostgres, type PostgresServer } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

/** One per project that lists this setup (integration and integration-lab each get their own). */
const servers: PostgresServer[] = [];

/**
 * Starts one real PostgreSQL server for the whole run (unless TIANSHU_TEST_DATABASE_URL points at
 * one); every test that needs it creates its own database on it.
 */
export async function setup(project: TestProject): Promise<void> {
  const given = process.env.TIANSHU_TEST_DATABASE_URL;
  if (given) {
    project.provide('postgresUrl', given);
    return;
  }
  const server = await startPostgres();
  servers.push(server);
  project.provide('postgresUrl', server.url);
}

export async function teardown(): Promise<void> {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
}
