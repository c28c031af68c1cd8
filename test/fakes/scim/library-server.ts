/**
 * A SCIM 2.0 service provider built on an independent implementation from the registry:
 * SCIMMY (RFC 7643 schemas, RFC 7644 filters, PatchOp and ListResponse paging) served by
 * scimmy-routers on express, listening on 127.0.0.1 only. Nothing here parses SCIM: the library
 * validates every request, applies filters and patches and pages the lists; this file only keeps
 * the resources the library hands over, in memory, one store per server.
 *
 * SCIMMY declares resource types process-wide, so the handlers are declared once and find their
 * store through the request's context: several servers (one per quirk run) live side by side.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';

export interface StoredUser {
  id: string;
  userName: string;
  externalId?: string;
  displayName?: string;
  name?: { formatted?: string; givenName?: string; familyName?: string };
  emails?: { value: string; type?: string; primary?: boolean }[];
  active: boolean;
  meta: { created: string; lastModified: string };
}

export interface StoredGroup {
  id: string;
  displayName: string;
  members: { value: string; display?: string; type?: string }[];
  meta: { created: string; lastModified: string };
}

/** One app's data: what the library reads from and writes to. */
export class ScimStore {
  readonly users = new Map<string, StoredUser>();
  readonly groups = new Map<string, StoredGroup>();

  userByName(userName: string): StoredUser | undefined {
    const wanted = userName.toLowerCase();
    for (const u of this.users.values()) if (u.userName.toLowerCase() === wanted) return u;
    return undefined;
  }

  groupByName(displayName: string): StoredGroup | undefined {
    for (const g of this.groups.values()) if (g.displayName === displayName) return g;
    return undefined;
  }

  addUser(u: Omit<StoredUser, 'id' | 'meta'>): StoredUser {
    const now = new Date().toISOString();
    const stored = { ...u, id: randomUUID(), meta: { created: now, lastModified: now } };
    this.users.set(stored.id, stored);
    return stored;
  }

  addGroup(displayName: string, memberIds: string[]): StoredGroup {
    const now = new Date().toISOString();
    const g = {
      id: randomUUID(),
      displayName,
      members: memberIds.map((value) => ({ value, type: 'User' })),
      meta: { created: now, lastModified: now },
    };
    this.groups.set(g.id, g);
    return g;
  }

  clear(): void {
    this.users.clear();
    this.groups.clear();
  }
}

interface Ctx {
  store: ScimStore;
}

const scimError = (status: number, scimType: string | null, message: string) =>
  new SCIMMY.Types.Error(status, scimType as never, message);

let declared = false;

/** Declares User and Group to SCIMMY once per process; each handler works on its request's store. */
function declareResources(): void {
  if (declared) return;
  declared = true;
  SCIMMY.Config.set({ patch: true, filter: { supported: true, maxResults: 1000 }, etag: true });
  SCIMMY.Resources.declare(SCIMMY.Resources.User)
    .ingress((resource, instance, ctx: Ctx) => {
      const { store } = ctx;
      const data = instance as unknown as Omit<StoredUser, 'id' | 'meta'>;
      const other = store.userByName(data.userName);
      if (other && other.id !== resource.id)
        throw scimError(409, 'uniqueness', `userName ${data.userName} is taken`);
      const now = new Date().toISOString();
      if (resource.id) {
        const current = store.users.get(resource.id);
        if (!current) throw scimError(404, null, `Resource ${resource.id} not found`);
        const next: StoredUser = {
          ...pickUser(data),
          id: current.id,
          meta: { created: current.meta.created, lastModified: now },
        };
        store.users.set(next.id, next);
        return next as never;
      }
      return store.addUser(pickUser(data)) as never;
    })
    .egress((resource, ctx: Ctx) => {
      const { store } = ctx;
      if (resource.id) {
        const u = store.users.get(resource.id);
        if (!u) throw scimError(404, null, `Resource ${resource.id} not found`);
        return u as never;
      }
      const all = [...store.users.values()];
      return (resource.filter ? resource.filter.match(all) : all) as never;
    })
    .degress((resource, ctx: Ctx) => {
      const { store } = ctx;
      if (!resource.id || !store.users.delete(resource.id))
        throw scimError(404, null, `Resource ${resource.id} not found`);
      for (const g of store.groups.values()) g.members = g.members.filter((m) => m.value !== resource.id);
    });
  SCIMMY.Resources.declare(SCIMMY.Resources.Group)
    .ingress((resource, instance, ctx: Ctx) => {
      const { store } = ctx;
      const data = instance as unknown as { displayName: string; members?: { value: string }[] };
      const now = new Date().toISOString();
      const members = (data.members ?? []).map((m) => {
        const u = store.users.get(m.value);
        if (!u) throw scimError(400, 'invalidValue', `member ${m.value} is not a user`);
        return { value: m.value, display: u.userName, type: 'User' };
      });
      if (resource.id) {
        const current = store.groups.get(resource.id);
        if (!current) throw scimError(404, null, `Resource ${resource.id} not found`);
        const next = {
          ...current,
          displayName: data.displayName,
          members,
          meta: { ...current.meta, lastModified: now },
        };
        store.groups.set(next.id, next);
        return next as never;
      }
      if (store.groupByName(data.displayName))
        throw scimError(409, 'uniqueness', `group ${data.displayName} exists`);
      const g = store.addGroup(
        data.displayName,
        members.map((m) => m.value),
      );
      return g as never;
    })
    .egress((resource, ctx: Ctx) => {
      const { store } = ctx;
      if (resource.id) {
        const g = store.groups.get(resource.id);
        if (!g) throw scimError(404, null, `Resource ${resource.id} not found`);
        return g as never;
      }
      const all = [...store.groups.values()];
      return (resource.filter ? resource.filter.match(all) : all) as never;
    })
    .degress((resource, ctx: Ctx) => {
      if (!resource.id || !ctx.store.groups.delete(resource.id))
        throw scimError(404, null, `Resource ${resource.id} not found`);
    });
}

function pickUser(d: Omit<StoredUser, 'id' | 'meta'>): Omit<StoredUser, 'id' | 'meta'> {
  return {
    userName: d.userName,
    ...(d.externalId !== undefined ? { externalId: d.externalId } : {}),
    ...(d.displayName !== undefined ? { displayName: d.displayName } : {}),
    ...(d.name ? { name: d.name } : {}),
    ...(d.emails ? { emails: d.emails } : {}),
    active: d.active !== false,
  };
}

/** The library's server for one app: express + scimmy-routers at /scim/v2 on loopback. */
export class ScimLibraryServer {
  readonly store = new ScimStore();
  private server?: Server;
  url = '';

  constructor(private readonly token: string) {}

  async start(): Promise<string> {
    declareResources();
    const app = express();
    // SCIMMY takes startIndex and count only as numbers, and express parses queries into strings
    // (scimmy-routers hands req.query over as is): the glue turns those two into numbers.
    app.set('query parser', (query: string) => {
      const out: Record<string, unknown> = Object.fromEntries(new URLSearchParams(query));
      for (const key of ['startIndex', 'count']) {
        if (typeof out[key] === 'string' && /^-?\d+$/.test(out[key] as string)) out[key] = Number(out[key]);
      }
      return out;
    });
    app.use(
      '/scim/v2',
      new SCIMMYRouters({
        type: 'bearer',
        handler: (req) => {
          if (req.header('authorization') !== `Bearer ${this.token}`)
            throw new Error('Authorization failure');
          return 'jml';
        },
        context: (): Ctx => ({ store: this.store }),
      }),
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    server.keepAliveTimeout = 60_000;
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2`;
    return this.url;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
