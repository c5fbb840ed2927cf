/** Who may do what. Each route declares the least role it needs; a higher role may do everything below. */
export const ROLES = ['viewer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Routes anyone may call: liveness/readiness probes and the API documentation. */
export type RouteAccess = Role | 'public';

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export interface Principal {
  /** who, for the audit log: `key:<id>`, `oidc:<sub>`, `admin-token`, `local-admin` */
  actor: string;
  role: Role;
  via: 'api-key' | 'oidc' | 'admin-token' | 'local';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required: the least role that may call the route (the auth hook refuses routes without one). */
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}
