// STUB — replaced by the events part (helper C).
import { z } from 'zod';

export const SecurityPolicy = z.object({ retentionDays: z.number().int().min(180).default(180) }).loose();
export type SecurityPolicy = z.infer<typeof SecurityPolicy>;
