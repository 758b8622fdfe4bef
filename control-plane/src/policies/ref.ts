import type { z } from 'zod';

/** A typed handle on one policy file and its schema, declared by whoever owns the file. */
export interface PolicyRef<T> {
  readonly file: string;
  readonly schema: z.ZodType<T>;
}

export function policyRef<T>(file: string, schema: z.ZodType<T>): PolicyRef<T> {
  if (!/^[a-z][a-z0-9-]*\.yaml$/.test(file))
    throw new Error(`policy file names are lowercase .yaml, got "${file}"`);
  return { file, schema };
}
