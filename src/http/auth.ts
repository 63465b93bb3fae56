/**
 * Bearer-token authentication (API.md "Authentication and isolation"). The algorithm list is
 * pinned, `exp` and `sub` are required, `iss`/`aud` checked when configured. A verified token
 * is cached until it expires, so the hot path does not re-run the signature check.
 */
import { importSPKI, jwtVerify, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { isTraderId } from '../domain/ids.ts';
import { ApiProblem } from './problems.ts';

export const ROLES = ['trader', 'risk', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  readonly traderId: string;
  readonly roles: ReadonlySet<Role>;
  /** When the token stops being good (its `exp`): a WebSocket opened with it is closed then. */
  readonly expiresAtMs: number;
}

export interface AuthOptions {
  readonly algorithm: 'HS256' | 'RS256' | 'ES256';
  readonly secret: string | null;
  readonly publicKey: string | null;
  readonly issuer: string | null;
  readonly audience: string | null;
}

const CACHE_LIMIT = 50_000;

export const unauthorized = (detail: string) =>
  new ApiProblem(401, 'unauthorized', 'Authentication required', detail);
export const forbidden = (detail: string) => new ApiProblem(403, 'forbidden', 'Not allowed', detail);

export class Authenticator {
  private readonly cache = new Map<string, { principal: Principal; expiresAtMs: number }>();
  private key: Uint8Array | CryptoKey | null = null;

  constructor(private readonly options: AuthOptions, private readonly nowMs: () => number = Date.now) {
    if (options.secret === null && options.publicKey === null) throw new Error('a JWT secret or public key is required');
  }

  /** Verifies `Authorization: Bearer …` (or a bare token) and returns who is calling. */
  async authenticate(header: string | undefined): Promise<Principal> {
    if (!header) throw unauthorized('Send "Authorization: Bearer <token>".');
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : header.trim();
    const cached = this.cache.get(token);
    if (cached && cached.expiresAtMs > this.nowMs()) return cached.principal;
    if (cached) this.cache.delete(token);

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.verificationKey(), {
        algorithms: [this.options.algorithm],
        requiredClaims: ['exp', 'sub'],
        ...(this.options.issuer ? { issuer: this.options.issuer } : {}),
        ...(this.options.audience ? { audience: this.options.audience } : {}),
        currentDate: new Date(this.nowMs()),
      }));
    } catch (error) {
      throw unauthorized(`The bearer token was refused: ${tokenErrorText(error)}.`);
    }
    const principal = principalOf(payload);
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(token, { principal, expiresAtMs: principal.expiresAtMs });
    return principal;
  }

  private async verificationKey(): Promise<Uint8Array | CryptoKey> {
    if (this.key) return this.key;
    this.key = this.options.publicKey
      ? await importSPKI(this.options.publicKey, this.options.algorithm)
      : new TextEncoder().encode(this.options.secret!);
    return this.key;
  }
}

function principalOf(payload: JWTPayload): Principal {
  const sub = payload.sub!;
  if (!isTraderId(sub)) throw unauthorized('The token subject is not a valid trader id (1–128 of A-Z a-z 0-9 . _ : @ -, not starting with _).');
  const claimed = payload['roles'] ?? ['trader'];
  if (!Array.isArray(claimed) || !claimed.every((r) => typeof r === 'string')) {
    throw unauthorized('The token "roles" claim must be an array of strings.');
  }
  const roles = new Set<Role>(claimed.filter((r): r is Role => (ROLES as readonly string[]).includes(r)));
  if (roles.size === 0) roles.add('trader');
  return { traderId: sub, roles, expiresAtMs: payload.exp! * 1000 };
}

function tokenErrorText(error: unknown): string {
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'ERR_JWT_EXPIRED': return 'it has expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED': return 'its signature does not verify';
    case 'ERR_JOSE_ALG_NOT_ALLOWED': return 'its algorithm is not accepted';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': return `claim check failed (${(error as Error).message})`;
    default: return 'it is malformed';
  }
}

/** Signs an HS256 token; used for the development tokens printed at start and by tests. */
export async function signToken(
  secret: string,
  claims: { sub: string; roles?: Role[]; iss?: string; aud?: string },
  ttlSeconds: number,
): Promise<string> {
  const jwt = new SignJWT({ roles: claims.roles ?? ['trader'] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds);
  if (claims.iss) jwt.setIssuer(claims.iss);
  if (claims.aud) jwt.setAudience(claims.aud);
  return jwt.sign(new TextEncoder().encode(secret));
}
