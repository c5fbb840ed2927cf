import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { ROLES, type Role } from './roles.ts';

export interface OidcConfig {
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** claim holding the user's roles or groups (string or array), e.g. `roles` or `groups` */
  roleClaim: string;
  /** claim value → role, e.g. `{ "soc-analysts": "analyst" }`; role names themselves always map */
  roleMap: Record<string, Role>;
}

/** Verifies bearer JWTs against the issuer's JWKS (fetched and cached by jose) and maps claims to a role. */
export function createOidcVerifier(config: OidcConfig) {
  const jwks = createRemoteJWKSet(new URL(config.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
  return async function verify(token: string): Promise<{ subject: string; role: Role } | { refused: string }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, { issuer: config.issuer, audience: config.audience, clockTolerance: 30 }));
    } catch (e) {
      return { refused: (e as { code?: string }).code ?? 'invalid token' };
    }
    const raw = payload[config.roleClaim];
    const values = Array.isArray(raw) ? raw.filter((v): v is string => typeof v === 'string') : typeof raw === 'string' ? [raw] : [];
    let best: Role | null = null;
    for (const v of values) {
      const role = (ROLES as readonly string[]).includes(v) ? (v as Role) : config.roleMap[v];
      if (role && (best === null || ROLES.indexOf(role) > ROLES.indexOf(best))) best = role;
    }
    if (!best) return { refused: 'no role claim' };
    return { subject: String(payload.sub ?? 'unknown'), role: best };
  };
}
