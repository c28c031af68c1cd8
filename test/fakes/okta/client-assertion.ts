/**
 * Okta's check of a `private_key_jwt` client assertion at /oauth2/v1/token (RFC 7523): the JWT
 * is signed by the key the service app registered (RS256 or ES256), `iss` and `sub` are the
 * client id, `aud` is the token endpoint's full URL, it has not expired and its `jti` was never
 * used before. Failures answer as Okta does: 401 `invalid_client` with a description.
 */
import { createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';

export interface ServiceApp {
  clientId: string;
  /** The public key registered for the app (PEM, JWK or KeyObject). */
  publicKey: KeyObject | JsonWebKey | string;
  /** The okta.* scopes granted to the app. */
  scopes: readonly string[];
  /** The registered key's id: an assertion must name it in its `kid` header when set. */
  keyId?: string;
}

interface AssertionClaims {
  iss?: string;
  sub?: string;
  aud?: string;
  exp?: number;
  iat?: number;
  jti?: string;
}

const ALGORITHMS: Record<string, { hash: string; dsaEncoding?: 'ieee-p1363' }> = {
  RS256: { hash: 'sha256' },
  ES256: { hash: 'sha256', dsaEncoding: 'ieee-p1363' },
};

function decode<T>(part: string): T {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as T;
}

function keyOf(key: ServiceApp['publicKey']): KeyObject {
  if (typeof key === 'string') return createPublicKey(key);
  if ('asymmetricKeyType' in key) return key as KeyObject;
  return createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
}

/** Returns the reason the assertion is refused, or undefined when it is good. */
export function checkClientAssertion(
  jwt: string,
  app: ServiceApp,
  audience: string,
  nowSeconds: number,
  usedJtis: Set<string>,
): string | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3) return 'The client_assertion token is malformed.';
  const [h, p, s] = parts as [string, string, string];
  let header: { alg?: string; kid?: string };
  let claims: AssertionClaims;
  try {
    header = decode(h);
    claims = decode(p);
  } catch {
    return 'The client_assertion token is malformed.';
  }
  if (app.keyId && header.kid !== app.keyId) return 'The client_assertion token has an unknown kid.';
  const alg = ALGORITHMS[header.alg ?? ''];
  if (!alg) return `The client_assertion token has an unsupported algorithm (${header.alg}).`;
  const signed = verify(
    alg.hash,
    Buffer.from(`${h}.${p}`),
    { key: keyOf(app.publicKey), ...alg },
    Buffer.from(s, 'base64url'),
  );
  if (!signed) return 'The client_assertion signature is invalid.';
  if (claims.iss !== app.clientId || claims.sub !== app.clientId) {
    return "The client_assertion token's iss and sub claims must be the client_id.";
  }
  if (claims.aud !== audience)
    return 'The audience claim for client_assertion must be the endpoint invoked for the request.';
  if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds)
    return 'The client_assertion token is expired.';
  if (claims.exp - (claims.iat ?? nowSeconds) > 3600)
    return 'The client_assertion token has an expiration too far in the future.';
  if (!claims.jti) return 'The client_assertion token must have a jti claim.';
  if (usedJtis.has(claims.jti)) return 'The client_assertion token has already been used.';
  usedJtis.add(claims.jti);
  return undefined;
}
