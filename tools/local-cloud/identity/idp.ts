import { randomUUID, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, exportJWK, generateKeyPair, JWK, jwtVerify, KeyLike, SignJWT } from 'jose';

/**
 * A local stand-in for Cognito user pools' OAuth 2.0 token endpoint: the client_credentials grant
 * issues RS256 access tokens with Cognito's claims, and each pool publishes its keys (JWKS) and
 * OpenID configuration under its issuer `<url>/<poolId>`, as cognito-idp.<region>.amazonaws.com
 * does. Loopback only; keys are generated at start and live in memory.
 */
export interface LocalIdentityProviderOptions {
  host: string;
  port: number;
  pools: Array<{
    poolId: string;
    clients: Array<{ clientId: string; clientSecret?: string; allowedScopes: string[]; flows: string[] }>;
  }>;
}

export interface LocalIdentityProvider {
  url: string;
  issuerFor(poolId: string): string;
  tokenUrl: string;
  close(): Promise<void>;
  /**
   * Signs an ID token (`token_use: 'id'`, `aud` = client id) for a user of a pool, for methods whose
   * authorizer lists no scopes (API Gateway then wants an ID token). The client_credentials grant
   * cannot produce one, so this is the local way to get one.
   */
  issueIdToken(
    poolId: string,
    clientId: string,
    user: { sub?: string; username: string; email?: string; groups?: string[] },
  ): Promise<string>;
}

const TOKEN_LIFETIME_SECONDS = 3600;

interface PoolKeys {
  kid: string;
  privateKey: KeyLike;
  publicJwk: JWK;
}

type Client = LocalIdentityProviderOptions['pools'][number]['clients'][number];

class OAuthError extends Error {
  constructor(
    readonly status: 400 | 401,
    readonly code:
      'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope',
    readonly description: string,
    readonly basicAuthUsed = false,
  ) {
    super(description);
  }
}

function secretsEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** RFC 6749 §2.3.1: client id and secret are form-urlencoded before Basic encoding. */
function formDecode(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > 64 * 1024) {
        reject(new OAuthError(400, 'invalid_request', 'request body too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startLocalIdentityProvider(opts: LocalIdentityProviderOptions): Promise<LocalIdentityProvider> {
  const keys = new Map<string, PoolKeys>();
  const clients = new Map<string, { poolId: string; client: Client }>();
  for (const pool of opts.pools) {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = `${pool.poolId}-${randomUUID()}`;
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    keys.set(pool.poolId, { kid, privateKey, publicJwk });
    for (const client of pool.clients) {
      if (clients.has(client.clientId)) throw new Error(`client id ${client.clientId} is used by more than one pool`);
      clients.set(client.clientId, { poolId: pool.poolId, client });
    }
  }

  let baseUrl = '';
  const issuerFor = (poolId: string) => {
    if (!keys.has(poolId)) throw new Error(`no local user pool ${poolId}`);
    return `${baseUrl}/${poolId}`;
  };

  const sign = (poolId: string, claims: Record<string, unknown>) => {
    const pool = keys.get(poolId)!;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...claims, auth_time: now, jti: randomUUID() })
      .setProtectedHeader({ alg: 'RS256', kid: pool.kid })
      .setIssuer(issuerFor(poolId))
      .setIssuedAt(now)
      .setExpirationTime(now + TOKEN_LIFETIME_SECONDS)
      .sign(pool.privateKey);
  };

  const authenticateClient = (req: http.IncomingMessage, form: URLSearchParams): { poolId: string; client: Client } => {
    const authorization = req.headers.authorization;
    let clientId: string | undefined;
    let clientSecret: string | undefined;
    const basic = typeof authorization === 'string' ? /^Basic\s+(.+)$/i.exec(authorization) : null;
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new OAuthError(401, 'invalid_client', 'malformed Basic credentials', true);
      clientId = formDecode(decoded.slice(0, colon));
      clientSecret = formDecode(decoded.slice(colon + 1));
      if (form.has('client_secret'))
        throw new OAuthError(400, 'invalid_request', 'client credentials given both in the header and in the body');
    } else {
      clientId = form.get('client_id') ?? undefined;
      clientSecret = form.get('client_secret') ?? undefined;
    }
    const known = clientId ? clients.get(clientId) : undefined;
    if (!known || !known.client.clientSecret || !clientSecret || !secretsEqual(clientSecret, known.client.clientSecret)) {
      throw new OAuthError(401, 'invalid_client', 'client authentication failed', Boolean(basic));
    }
    return known;
  };

  const issueClientCredentialsToken = async (req: http.IncomingMessage): Promise<Record<string, unknown>> => {
    const contentType = String(req.headers['content-type'] ?? '');
    if (!contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      throw new OAuthError(400, 'invalid_request', 'the token request must be application/x-www-form-urlencoded');
    }
    const form = new URLSearchParams(await readBody(req));
    const grantType = form.get('grant_type');
    if (!grantType) throw new OAuthError(400, 'invalid_request', 'grant_type is required');
    if (grantType !== 'client_credentials')
      throw new OAuthError(400, 'unsupported_grant_type', `grant_type ${grantType} is not supported locally`);
    const { poolId, client } = authenticateClient(req, form);
    if (!client.flows.includes('client_credentials')) {
      throw new OAuthError(400, 'unauthorized_client', 'this client may not use the client_credentials flow');
    }
    const requested = form.get('scope')?.split(/\s+/).filter(Boolean);
    const scopes = requested ?? client.allowedScopes;
    const refused = scopes.filter((scope) => !client.allowedScopes.includes(scope));
    if (refused.length) throw new OAuthError(400, 'invalid_scope', `scope not allowed for this client: ${refused.join(' ')}`);
    if (!scopes.length) throw new OAuthError(400, 'invalid_scope', 'no scope: the client has no allowed scopes');
    const accessToken = await sign(poolId, {
      sub: client.clientId,
      token_use: 'access',
      scope: scopes.join(' '),
      version: 2,
      client_id: client.clientId,
    });
    return { access_token: accessToken, expires_in: TOKEN_LIFETIME_SECONDS, token_type: 'Bearer' };
  };

  const json = (res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', 'cache-control': 'no-store', pragma: 'no-cache', ...extra });
    res.end(JSON.stringify(body));
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://idp');
    const path = url.pathname.replace(/\/+$/, '');
    if (path === '/oauth2/token') {
      if (req.method !== 'POST') return json(res, 405, { error: 'invalid_request', error_description: 'use POST' }, { allow: 'POST' });
      issueClientCredentialsToken(req)
        .then((body) => json(res, 200, body))
        .catch((error: unknown) => {
          if (error instanceof OAuthError) {
            const challenge: Record<string, string> =
              error.status === 401 && error.basicAuthUsed ? { 'www-authenticate': 'Basic realm="local-cognito"' } : {};
            return json(res, error.status, { error: error.code, error_description: error.description }, challenge);
          }
          return json(res, 400, { error: 'invalid_request', error_description: (error as Error).message });
        });
      return undefined;
    }
    const wellKnown = /^\/([^/]+)\/\.well-known\/(jwks\.json|openid-configuration)$/.exec(path);
    if (wellKnown && req.method === 'GET' && keys.has(wellKnown[1])) {
      const poolId = wellKnown[1];
      const issuer = issuerFor(poolId);
      if (wellKnown[2] === 'jwks.json') return json(res, 200, { keys: [keys.get(poolId)!.publicJwk] }, { 'cache-control': 'max-age=60' });
      const pool = opts.pools.find((candidate) => candidate.poolId === poolId)!;
      return json(res, 200, {
        issuer,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        token_endpoint: `${baseUrl}/oauth2/token`,
        grant_types_supported: ['client_credentials'],
        response_types_supported: ['token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        scopes_supported: [...new Set(pool.clients.flatMap((client) => client.allowedScopes))],
      });
    }
    return json(res, 404, { error: 'not_found', error_description: `nothing at ${path}` });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;

  return {
    url: baseUrl,
    issuerFor,
    tokenUrl: `${baseUrl}/oauth2/token`,
    issueIdToken: async (poolId, clientId, user) => {
      const known = clients.get(clientId);
      if (!known || known.poolId !== poolId) throw new Error(`client ${clientId} is not a client of pool ${poolId}`);
      return sign(poolId, {
        sub: user.sub ?? randomUUID(),
        aud: clientId,
        token_use: 'id',
        'cognito:username': user.username,
        ...(user.email ? { email: user.email, email_verified: true } : {}),
        ...(user.groups ? { 'cognito:groups': user.groups } : {}),
      });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

export type AuthorizerResult = { ok: true; claims: Record<string, unknown> } | { ok: false; status: 401 | 403; message: string };

const remoteKeySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function keySetFor(jwksUrl: string) {
  let keySet = remoteKeySets.get(jwksUrl);
  if (!keySet) {
    // A restarted local provider has new keys: refetch on an unknown kid without waiting.
    keySet = createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: 0, cacheMaxAge: 60_000 });
    remoteKeySets.set(jwksUrl, keySet);
  }
  return keySet;
}

const UNAUTHORIZED = { ok: false as const, status: 401 as const, message: 'Unauthorized' };

/**
 * API Gateway's COGNITO_USER_POOLS authorizer, for the local API: the token (the Authorization
 * header's value, with or without `Bearer `) must be an RS256 JWT signed by a key of the pool's JWKS,
 * from the pool's issuer, and not expired; otherwise 401 "Unauthorized". A method that lists
 * authorization scopes wants an access token carrying at least one of them (an ID token is 401; an
 * access token without any of the scopes is 403). A method without scopes wants an ID token, as
 * API Gateway does; an access token there is 401.
 */
export async function verifyCognitoAuthorizer(
  token: string | undefined,
  opts: { issuer: string; jwksUrl: string; scopes: string[] },
): Promise<AuthorizerResult> {
  const raw = token?.trim().replace(/^Bearer\s+/i, '');
  if (!raw) return UNAUTHORIZED;
  let claims: Record<string, unknown>;
  try {
    ({ payload: claims } = await jwtVerify(raw, keySetFor(opts.jwksUrl), { issuer: opts.issuer, algorithms: ['RS256'] }));
  } catch {
    return UNAUTHORIZED;
  }
  if (opts.scopes.length === 0) {
    return claims.token_use === 'id' ? { ok: true, claims } : UNAUTHORIZED;
  }
  if (claims.token_use !== 'access') return UNAUTHORIZED;
  const granted = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
  if (!opts.scopes.some((scope) => granted.includes(scope))) {
    return { ok: false, status: 403, message: `Forbidden: the token carries none of the scopes ${opts.scopes.join(', ')}` };
  }
  return { ok: true, claims };
}
