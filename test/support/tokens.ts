/**
 * Bearer tokens for black-box tests of authentication: a good HS256 token as an identity
 * provider would issue it, and every way a token can be wrong (R12): missing, expired, for
 * another audience or issuer, unsigned (alg none), another algorithm, an RS256 header signed
 * with the HS secret (algorithm confusion), a bad signature, another trader's subject on a
 * valid signature, and so on. Built by hand (base64url JSON and HMAC), so that nothing a JWT
 * library refuses to produce is out of reach.
 */
import { createHmac } from 'node:crypto';

export interface TokenIssuer {
  readonly secret: string;
  readonly issuer: string;
  readonly audience: string;
}

type Claims = Record<string, unknown>;

const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

function hmacToken(header: Claims, claims: Claims, key: string, hash: 'sha256' | 'sha512' = 'sha256'): string {
  const input = `${part(header)}.${part(claims)}`;
  return `${input}.${createHmac(hash, key).update(input).digest('base64url')}`;
}

function claimsOf(issuer: TokenIssuer, sub: string, roles: readonly string[], ttlSeconds: number): Claims {
  return { sub, roles, iss: issuer.issuer, aud: issuer.audience, iat: nowSeconds(), exp: nowSeconds() + ttlSeconds };
}

export function goodToken(issuer: TokenIssuer, sub: string, roles: readonly string[] = ['trader'], ttlSeconds = 600): string {
  return hmacToken({ alg: 'HS256', typ: 'JWT' }, claimsOf(issuer, sub, roles, ttlSeconds), issuer.secret);
}

/** Every refused kind of token for `sub`; `impostor` is the trader whose identity a forged token claims. */
export function badTokens(issuer: TokenIssuer, sub: string, impostor: string): Array<readonly [string, string | null]> {
  const claims = claimsOf(issuer, sub, ['trader'], 600);
  const hs256 = { alg: 'HS256', typ: 'JWT' };
  const without = (name: string) => Object.fromEntries(Object.entries(claims).filter(([key]) => key !== name));
  const [header, , signature] = goodToken(issuer, sub).split('.');
  return [
    ['no token', null],
    ['an expired token', hmacToken(hs256, { ...claims, iat: nowSeconds() - 700, exp: nowSeconds() - 100 }, issuer.secret)],
    ['a token without exp', hmacToken(hs256, without('exp'), issuer.secret)],
    ['a token without sub', hmacToken(hs256, without('sub'), issuer.secret)],
    ['a token for another audience', hmacToken(hs256, { ...claims, aud: 'another-service' }, issuer.secret)],
    ['a token from another issuer', hmacToken(hs256, { ...claims, iss: 'https://evil.example' }, issuer.secret)],
    ['a token with no issuer or audience', hmacToken(hs256, without('iss'), issuer.secret)],
    ['an unsigned token (alg none)', `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`],
    ['an HS512 token (another algorithm)', hmacToken({ alg: 'HS512', typ: 'JWT' }, claims, issuer.secret, 'sha512')],
    ['an RS256 header signed with the HS secret', hmacToken({ alg: 'RS256', typ: 'JWT' }, claims, issuer.secret)],
    ['a bad signature', hmacToken(hs256, claims, `${issuer.secret}-but-not-quite`)],
    ["another trader's subject on a valid signature", `${header}.${part({ ...claims, sub: impostor })}.${signature}`],
    // Signed by the right key, but `_firm` names the firm-wide risk scope, never a trader.
    ['a reserved subject (_firm)', hmacToken(hs256, { ...claims, sub: '_firm' }, issuer.secret)],
    ['garbage', 'not.a.jwt'],
  ];
}
