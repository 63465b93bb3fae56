/**
 * The trader's bearer token, kept in sessionStorage: it lasts while the tab is open and is
 * gone when it closes, and no other tab or site reads it. The claims are read only to show
 * who is signed in and until when; the gateway alone decides whether the token is good.
 */
const STORAGE_KEY = 'ordergate.token';

export interface TokenClaims {
  readonly traderId: string;
  readonly roles: readonly string[];
  /** Seconds since the epoch, or null when the token says nothing. */
  readonly expiresAt: number | null;
}

export function loadToken(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  sessionStorage.setItem(STORAGE_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** What a pasted token holds: a bare token, or the whole "Bearer …" header value. */
export const cleanToken = (text: string) => text.trim().replace(/^Bearer\s+/i, '');

export function readClaims(token: string): TokenClaims | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as { sub?: unknown; roles?: unknown; exp?: unknown };
    if (typeof claims.sub !== 'string') return null;
    return {
      traderId: claims.sub,
      roles: Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : ['trader'],
      expiresAt: typeof claims.exp === 'number' ? claims.exp : null,
    };
  } catch {
    return null;
  }
}
