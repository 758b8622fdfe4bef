/**
 * The fake OpenStack's Keystone v3: version discovery, application-credential tokens with the catalog,
 * projects and project tags (https://docs.openstack.org/api-ref/identity/v3/).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FakeProject } from '../openstack.js';
import { DEFAULT_DOMAIN, HttpError, pyRepr, type FakeCloud, type Send, type Token } from './common.js';

const keystoneVersion = (c: FakeCloud) => ({
  id: 'v3.14',
  status: 'stable',
  updated: '2020-04-07T00:00:00Z',
  links: [{ rel: 'self', href: `${c.base}/identity/v3/` }],
  'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
});

const projectView = (c: FakeCloud, p: FakeProject) => ({
  ...p,
  links: { self: `${c.base}/identity/v3/projects/${p.id}` },
});

function validateTags(tags: unknown): string[] {
  if (!Array.isArray(tags)) throw new HttpError(400, "Invalid input for field 'tags': it must be an array.");
  if (tags.length > 80) throw new HttpError(400, "Invalid input for field 'tags': at most 80 tags.");
  for (const t of tags) {
    if (typeof t !== 'string' || t.length < 1 || t.length > 255 || /[,/]/.test(t)) {
      throw new HttpError(
        400,
        `Invalid input for field 'tags': ${pyRepr(t)} does not match '^[^,/]*$' or is not 1 to 255 characters.`,
      );
    }
  }
  return [...new Set(tags as string[])];
}

export function identity(
  c: FakeCloud,
  req: IncomingMessage,
  method: string,
  rest: string[],
  url: URL,
  body: unknown,
  send: Send,
): void {
  if (rest.length === 0) {
    if (method !== 'GET') throw new HttpError(405, 'Method Not Allowed');
    return send(300, { versions: { values: [keystoneVersion(c)] } });
  }
  if (rest[0] !== 'v3') throw new HttpError(404, 'The resource could not be found.');
  const r = rest.slice(1);
  if (r.length === 0) return send(200, { version: keystoneVersion(c) });
  if (r[0] === 'auth' && r[1] === 'tokens' && r.length === 2) {
    if (method === 'POST') return issueToken(c, body, send);
    if (method === 'GET') {
      c.authenticate(req);
      const subject = req.headers['x-subject-token'];
      const t = typeof subject === 'string' ? c.tokens.get(subject) : undefined;
      if (!t || t.expiresAt <= Date.now()) throw new HttpError(404, `Failed to validate token`);
      return send(
        200,
        { token: tokenBody(c, t, new Date(t.expiresAt - c.ttlMs)) },
        { 'x-subject-token': String(subject) },
      );
    }
    throw new HttpError(405, 'Method Not Allowed');
  }
  if (r[0] === 'domains' && r.length === 1 && method === 'GET') {
    c.authenticate(req);
    const name = url.searchParams.get('name');
    return send(200, {
      domains: [
        {
          id: DEFAULT_DOMAIN,
          name: 'Default',
          description: 'The default domain',
          enabled: true,
          tags: [],
          options: {},
        },
      ].filter((d) => name === null || d.name === name),
      links: { self: `${c.base}/identity/v3/domains`, previous: null, next: null },
    });
  }
  if (r[0] === 'projects') return projectsApi(c, req, method, r.slice(1), url, body, send);
  throw new HttpError(404, 'The resource could not be found.');
}

export function tokenBody(c: FakeCloud, t: Token, issuedAt: Date) {
  const p = c.projects.get(t.projectId) ?? c.admin;
  return {
    methods: ['application_credential'],
    user: {
      id: 'f0c1d2e3a4b5c6d7e8f9a0b1c2d3e4f5',
      name: 'tianshu',
      domain: { id: DEFAULT_DOMAIN, name: 'Default' },
      password_expires_at: null,
    },
    audit_ids: [randomBytes(16).toString('base64url').slice(0, 22)],
    expires_at: new Date(t.expiresAt).toISOString().replace('Z', '000Z'),
    issued_at: issuedAt.toISOString().replace('Z', '000Z'),
    project: { id: p.id, name: p.name, domain: { id: DEFAULT_DOMAIN, name: 'Default' } },
    is_domain: false,
    roles: t.roles.map((name) => ({ id: `role-${name}`, name })),
    catalog: c.catalog(),
    application_credential: { id: t.credentialId, name: 'tianshu', restricted: true },
  };
}

function issueToken(c: FakeCloud, body: unknown, send: Send): void {
  const auth = (body as { auth?: { identity?: Record<string, unknown> } } | undefined)?.auth;
  const ident = auth?.identity;
  const methods = ident?.methods;
  if (!ident || !Array.isArray(methods)) {
    throw new HttpError(400, "Invalid input for field 'identity': 'methods' is a required property");
  }
  if (!methods.includes('application_credential')) {
    throw new HttpError(401, 'The request you have made requires authentication.');
  }
  const ac = ident.application_credential as { id?: unknown; secret?: unknown; name?: unknown } | undefined;
  if (!ac || typeof ac.secret !== 'string' || (typeof ac.id !== 'string' && typeof ac.name !== 'string')) {
    throw new HttpError(
      400,
      "Invalid input for field 'application_credential': 'secret' is a required property",
    );
  }
  const cred = typeof ac.id === 'string' ? c.credentials.get(ac.id) : undefined;
  if (!cred || cred.secret !== ac.secret) {
    throw new HttpError(401, 'The request you have made requires authentication.');
  }
  const now = new Date();
  const t: Token = {
    expiresAt: now.getTime() + c.ttlMs,
    projectId: c.admin.id,
    roles: cred.roles ?? ['admin', 'member', 'reader'],
    credentialId: cred.id,
  };
  const id = `gAAAAA${randomBytes(48).toString('base64url')}`;
  c.tokens.set(id, t);
  c.issued();
  send(201, { token: tokenBody(c, t, now) }, { 'x-subject-token': id });
}

function projectsApi(
  c: FakeCloud,
  req: IncomingMessage,
  method: string,
  r: string[],
  url: URL,
  body: unknown,
  send: Send,
): void {
  const t = c.authenticate(req);
  const denied = (action: string) =>
    `You are not authorized to perform the requested action: identity:${action}.`;
  if (r.length === 0) {
    if (method === 'GET') {
      const q = url.searchParams;
      const tagsAll = q.get('tags')?.split(',').filter(Boolean);
      const tagsAny = q.get('tags-any')?.split(',').filter(Boolean);
      const items = [...c.projects.values()].filter(
        (p) =>
          (!q.has('name') || p.name === q.get('name')) &&
          (!q.has('domain_id') || p.domain_id === q.get('domain_id')) &&
          (!q.has('enabled') || String(p.enabled) === q.get('enabled')?.toLowerCase()) &&
          (!tagsAll || tagsAll.every((x) => p.tags.includes(x))) &&
          (!tagsAny || tagsAny.some((x) => p.tags.includes(x))),
      );
      return send(200, {
        projects: items.map((p) => projectView(c, p)),
        links: { self: `${c.base}/identity/v3/projects`, previous: null, next: null },
      });
    }
    if (method === 'POST') {
      c.requireAdmin(t, denied('create_project'));
      const p = (body as { project?: Record<string, unknown> } | undefined)?.project;
      if (!p || typeof p !== 'object') {
        throw new HttpError(400, "Invalid input for field 'project': 'project' is a required property");
      }
      const name = p.name;
      if (typeof name !== 'string' || name.length < 1 || name.length > 64) {
        throw new HttpError(
          400,
          `Invalid input for field 'name': ${pyRepr(name)} is not 1 to 64 characters.`,
        );
      }
      const domainId = typeof p.domain_id === 'string' ? p.domain_id : DEFAULT_DOMAIN;
      if (domainId !== DEFAULT_DOMAIN) throw new HttpError(404, `Could not find domain: ${domainId}.`);
      const known = new Set([
        'name',
        'domain_id',
        'description',
        'enabled',
        'tags',
        'parent_id',
        'is_domain',
        'options',
      ]);
      for (const k of Object.keys(p)) {
        if (!known.has(k))
          throw new HttpError(
            400,
            `Invalid input for field '${k}': Additional properties are not allowed ('${k}' was unexpected)`,
          );
      }
      if ([...c.projects.values()].some((x) => x.name === name && x.domain_id === domainId)) {
        throw new HttpError(
          409,
          `Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : ${name}.`,
        );
      }
      const created = c.newProject({
        name,
        domain_id: domainId,
        description: typeof p.description === 'string' ? p.description : '',
        enabled: p.enabled !== false,
        tags: p.tags === undefined ? [] : validateTags(p.tags),
      });
      c.projects.set(created.id, created);
      return send(201, { project: projectView(c, created) });
    }
    throw new HttpError(405, 'Method Not Allowed');
  }
  const p = c.projects.get(r[0] ?? '');
  if (!p) throw new HttpError(404, `Could not find project: ${r[0]}.`);
  if (r.length === 1) {
    if (method === 'GET') return send(200, { project: projectView(c, p) });
    if (method === 'PATCH') {
      c.requireAdmin(t, denied('update_project'));
      const patch = (body as { project?: Record<string, unknown> } | undefined)?.project;
      if (!patch || typeof patch !== 'object') {
        throw new HttpError(400, "Invalid input for field 'project': 'project' is a required property");
      }
      if (typeof patch.name === 'string' && patch.name !== p.name) {
        if ([...c.projects.values()].some((x) => x.name === patch.name && x.domain_id === p.domain_id)) {
          throw new HttpError(
            409,
            `Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : ${patch.name}.`,
          );
        }
        p.name = patch.name;
      }
      if (typeof patch.description === 'string') p.description = patch.description;
      if (typeof patch.enabled === 'boolean') p.enabled = patch.enabled;
      if (patch.tags !== undefined) p.tags = validateTags(patch.tags);
      return send(200, { project: projectView(c, p) });
    }
    if (method === 'DELETE') {
      c.requireAdmin(t, denied('delete_project'));
      c.projects.delete(p.id);
      c.forget(p.id);
      return send(204, undefined);
    }
    throw new HttpError(405, 'Method Not Allowed');
  }
  if (r[1] === 'tags') {
    if (r.length === 2) {
      if (method === 'GET') return send(200, { tags: p.tags });
      if (method === 'PUT') {
        c.requireAdmin(t, denied('update_project_tags'));
        p.tags = validateTags((body as { tags?: unknown } | undefined)?.tags);
        return send(200, { tags: p.tags });
      }
      if (method === 'DELETE') {
        c.requireAdmin(t, denied('delete_project_tags'));
        p.tags = [];
        return send(204, undefined);
      }
    } else if (r.length === 3) {
      const tag = r[2] ?? '';
      if (method === 'GET' || method === 'HEAD') {
        if (!p.tags.includes(tag)) throw new HttpError(404, `Could not find project tag: ${tag}.`);
        return send(204, undefined);
      }
      if (method === 'PUT') {
        c.requireAdmin(t, denied('create_project_tag'));
        p.tags = validateTags([...p.tags, tag]);
        return send(201, undefined, {
          location: `${c.base}/identity/v3/projects/${p.id}/tags/${encodeURIComponent(tag)}`,
        });
      }
      if (method === 'DELETE') {
        c.requireAdmin(t, denied('delete_project_tag'));
        if (!p.tags.includes(tag)) throw new HttpError(404, `Could not find project tag: ${tag}.`);
        p.tags = p.tags.filter((x) => x !== tag);
        return send(204, undefined);
      }
    }
    throw new HttpError(405, 'Method Not Allowed');
  }
  throw new HttpError(404, 'The resource could not be found.');
}
