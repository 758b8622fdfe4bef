import { z } from 'zod';
import { ALARM_SEVERITIES } from './types.js';

const ReceiverName = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,62}$/,
    'receiver names are lowercase letters, digits and "-", up to 63 characters',
  );

/** An alarm kind, or a prefix of kinds ending in `*` (`link-*`). */
const KindPattern = z
  .string()
  .regex(/^[a-z][a-z0-9.-]{0,62}\*?$/, 'kinds are lowercase words joined by "-", optionally ending in "*"');

const oneOrMany = <T extends z.ZodType>(t: T) =>
  z.union([t, z.array(t).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.infer<T>[]);

const WebhookUrl = z.string().refine(
  (s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
    } catch {
      return false;
    }
  },
  { error: (i) => `"${String(i.input)}" is not an http:// or https:// URL` },
);

export const Receiver = z
  .object({
    name: ReceiverName,
    webhook: z
      .object({
        url: WebhookUrl,
        timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
        headers: z
          .record(
            z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'header names are letters, digits and "-"'),
            z.string().max(4096),
          )
          .default({}),
      })
      .strict(),
    sendResolved: z.boolean().default(true),
  })
  .strict();
export type Receiver = z.infer<typeof Receiver>;

export const Route = z
  .object({
    match: z
      .object({
        kind: oneOrMany(KindPattern).optional(),
        severity: oneOrMany(z.enum(ALARM_SEVERITIES)).optional(),
        /** The org unit whose subtree matches. */
        orgUnit: z
          .string()
          .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'org unit ids are lowercase letters, digits and "-"')
          .optional(),
      })
      .strict()
      .default({}),
    receivers: z.array(ReceiverName).min(1, 'a route must name at least one receiver'),
    /** Keep evaluating later routes after this one matched. */
    continue: z.boolean().default(false),
  })
  .strict();
export type Route = z.infer<typeof Route>;

/** `policies/notifications.yaml`: where alarm notifications go (Alertmanager-compatible webhooks). */
export const NotificationsPolicy = z
  .object({
    receivers: z.array(Receiver).default([]),
    routes: z.array(Route).default([]),
    /** How long a new alarm waits so that others raised meanwhile go out in the same request. */
    groupWaitSeconds: z.number().int().min(0).max(3600).default(30),
    /** How often a firing, unacknowledged alarm is sent again. */
    repeatIntervalMinutes: z.number().int().min(1).max(10_080).default(240),
  })
  .strict()
  .superRefine((p, ctx) => {
    const names = new Set<string>();
    p.receivers.forEach((r, i) => {
      if (names.has(r.name))
        ctx.addIssue({
          code: 'custom',
          path: ['receivers', i, 'name'],
          message: `receiver "${r.name}" is defined twice`,
        });
      names.add(r.name);
    });
    p.routes.forEach((route, i) =>
      route.receivers.forEach((name, j) => {
        if (!names.has(name))
          ctx.addIssue({
            code: 'custom',
            path: ['routes', i, 'receivers', j],
            message: `no receiver named "${name}"`,
          });
      }),
    );
  });
export type NotificationsPolicy = z.infer<typeof NotificationsPolicy>;
