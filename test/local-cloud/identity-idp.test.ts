import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, KeyLike, SignJWT } from 'jose';
import { LocalIdentityProvider, startLocalIdentityProvider, verifyCognitoAuthorizer } from '../../tools/local-cloud/identity/idp';

const POOL = 'eu-west-1_LocalPool';
const OTHER_POOL = 'eu-west-1_OtherPool';
const SERVICE = {
  clientId: 'service-client',
  clientSecret: 's3cr3t',
  allowedScopes: ['things/read', 'things/write'],
  flows: ['client_credentials'],
};
const READER = { clientId: 'reader-client', clientSecret: 'r3ad', allowedScopes: ['things/read'], flows: ['client_credentials'] };
const PUBLIC = { clientId: 'web-client', allowedScopes: ['openid'], flows: ['code'] };
const NO_FLOW = { clientId: 'code-client', clientSecret: 'c0de', allowedScopes: ['things/read'], flows: ['code'] };

let idp: LocalIdentityProvider;

beforeAll(async () => {
  idp = await startLocalIdentityProvider({
    host: '127.0.0.1',
    port: 0,
    pools: [
      { poolId: POOL, clients: [SERVICE, READER, PUBLIC, NO_FLOW] },
      {
        poolId: OTHER_POOL,
        clients: [{ clientId: 'other-client', clientSecret: 'x', allowedScopes: ['things/read'], flows: ['client_credentials'] }],
      },
    ],
  });
});
afterAll(() => idp.close());

function basic(id: string, secret: string) {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function tokenRequest(form: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(idp.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
}

async function accessToken(client = SERVICE, scope?: string) {
  const form: Record<string, string> = { grant_type: 'client_credentials' };
  if (scope !== undefined) form.scope = scope;
  const { status, body } = await tokenRequest(form, { authorization: basic(client.clientId, client.clientSecret!) });
  if (status !== 200) throw new Error(`token request failed: ${JSON.stringify(body)}`);
  return body.access_token as string;
}

const verifyOptions = (scopes: string[], poolId = POOL) => ({
  issuer: idp.issuerFor(poolId),
  jwksUrl: `${idp.issuerFor(poolId)}/.well-known/jwks.json`,
  scopes,
});

describe('local identity provider: token endpoint', () => {
  it('issues a Cognito-shaped RS256 access token for client_credentials with Basic auth', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { status, body } = await tokenRequest(
      { grant_type: 'client_credentials' },
      { authorization: basic(SERVICE.clientId, SERVICE.clientSecret) },
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const header = decodeProtectedHeader(body.access_token);
    expect(header).toMatchObject({ alg: 'RS256', kid: expect.any(String) });
    const claims = decodeJwt(body.access_token);
    expect(claims).toMatchObject({
      sub: SERVICE.clientId,
      client_id: SERVICE.clientId,
      token_use: 'access',
      scope: 'things/read things/write',
      iss: `${idp.url}/${POOL}`,
      version: 2,
      jti: expect.any(String),
    });
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.auth_time).toBe(claims.iat);
    expect(claims.exp).toBe((claims.iat as number) + 3600);
  });

  it('accepts client credentials in the form body and narrows to the requested scope', async () => {
    const { status, body } = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: SERVICE.clientId,
      client_secret: SERVICE.clientSecret,
      scope: 'things/read',
    });
    expect(status).toBe(200);
    expect(decodeJwt(body.access_token).scope).toBe('things/read');
  });

  it('answers RFC 6749 errors for bad clients, scopes and grants', async () => {
    const wrongSecret = await tokenRequest({ grant_type: 'client_credentials' }, { authorization: basic(SERVICE.clientId, 'nope') });
    expect(wrongSecret).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(wrongSecret.headers.get('www-authenticate')).toContain('Basic');
    expect(await tokenRequest({ grant_type: 'client_credentials', client_id: 'unknown', client_secret: 'x' })).toMatchObject({
      status: 401,
      body: { error: 'invalid_client' },
    });
    expect(await tokenRequest({ grant_type: 'client_credentials', client_id: PUBLIC.clientId })).toMatchObject({
      status: 401,
      body: { error: 'invalid_client' },
    });
    expect(
      await tokenRequest(
        { grant_type: 'client_credentials', scope: 'things/write' },
        { authorization: basic(READER.clientId, READER.clientSecret) },
      ),
    ).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    expect(
      await tokenRequest(
        { grant_type: 'password', username: 'u', password: 'p' },
        { authorization: basic(SERVICE.clientId, SERVICE.clientSecret) },
      ),
    ).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
    expect(await tokenRequest({}, { authorization: basic(SERVICE.clientId, SERVICE.clientSecret) })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    });
    expect(
      await tokenRequest({ grant_type: 'client_credentials' }, { authorization: basic(NO_FLOW.clientId, NO_FLOW.clientSecret) }),
    ).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
  });

  it('publishes each pool JWKS and OpenID configuration under its issuer', async () => {
    const issuer = idp.issuerFor(POOL);
    expect(issuer).toBe(`${idp.url}/${POOL}`);
    const jwks = (await (await fetch(`${issuer}/.well-known/jwks.json`)).json()) as { keys: Array<Record<string, string>> };
    expect(jwks.keys).toEqual([
      expect.objectContaining({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String), n: expect.any(String), e: 'AQAB' }),
    ]);
    expect(jwks.keys[0]).not.toHaveProperty('d');
    const config = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(config).toMatchObject({ issuer, jwks_uri: `${issuer}/.well-known/jwks.json`, token_endpoint: idp.tokenUrl });
    expect((await fetch(`${idp.url}/no-such-pool/.well-known/jwks.json`)).status).toBe(404);
  });
});

describe('verifyCognitoAuthorizer (API Gateway COGNITO_USER_POOLS rules)', () => {
  it('lets through an access token carrying one of the method scopes, with its claims', async () => {
    const token = await accessToken();
    const result = await verifyCognitoAuthorizer(token, verifyOptions(['things/write']));
    expect(result).toMatchObject({ ok: true, claims: { client_id: SERVICE.clientId, token_use: 'access' } });
    expect(await verifyCognitoAuthorizer(`Bearer ${token}`, verifyOptions(['things/read']))).toMatchObject({ ok: true });
  });

  it('answers 403 for a valid token lacking every listed scope', async () => {
    const token = await accessToken(READER);
    expect(await verifyCognitoAuthorizer(token, verifyOptions(['things/write', 'things/admin']))).toMatchObject({ ok: false, status: 403 });
  });

  it('answers 401 "Unauthorized" for a missing or malformed token', async () => {
    expect(await verifyCognitoAuthorizer(undefined, verifyOptions(['things/read']))).toEqual({
      ok: false,
      status: 401,
      message: 'Unauthorized',
    });
    expect(await verifyCognitoAuthorizer('', verifyOptions(['things/read']))).toEqual({ ok: false, status: 401, message: 'Unauthorized' });
    expect(await verifyCognitoAuthorizer('not.a.jwt', verifyOptions(['things/read']))).toEqual({
      ok: false,
      status: 401,
      message: 'Unauthorized',
    });
  });

  it('answers 401 for a token of another pool (wrong issuer and keys)', async () => {
    const other = await accessToken({ clientId: 'other-client', clientSecret: 'x', allowedScopes: [], flows: [] }, 'things/read');
    expect(await verifyCognitoAuthorizer(other, verifyOptions(['things/read']))).toMatchObject({ ok: false, status: 401 });
    // Right keys, wrong expected issuer.
    const token = await accessToken();
    expect(await verifyCognitoAuthorizer(token, { ...verifyOptions(['things/read']), issuer: `${idp.url}/someone-else` })).toMatchObject({
      ok: false,
      status: 401,
    });
  });

  it('refuses a tampered payload and an unsigned (alg none) token', async () => {
    const token = await accessToken(READER);
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const widened = Buffer.from(JSON.stringify({ ...claims, scope: 'things/read things/write' })).toString('base64url');
    expect(await verifyCognitoAuthorizer(`${header}.${widened}.${signature}`, verifyOptions(['things/write']))).toMatchObject({
      ok: false,
      status: 401,
    });
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expect(await verifyCognitoAuthorizer(`${none}.${payload}.`, verifyOptions(['things/read']))).toMatchObject({ ok: false, status: 401 });
    expect(await verifyCognitoAuthorizer(token, verifyOptions(['things/read']))).toMatchObject({ ok: true });
  });

  it('wants an ID token when the method lists no scopes, as API Gateway does', async () => {
    const idToken = await idp.issueIdToken(POOL, SERVICE.clientId, { username: 'someone', email: 'someone@example.com' });
    expect(await verifyCognitoAuthorizer(idToken, verifyOptions([]))).toMatchObject({
      ok: true,
      claims: { token_use: 'id', aud: SERVICE.clientId, 'cognito:username': 'someone' },
    });
    expect(await verifyCognitoAuthorizer(await accessToken(), verifyOptions([]))).toMatchObject({ ok: false, status: 401 });
    // ...and an access token, not an ID token, when it lists scopes.
    expect(await verifyCognitoAuthorizer(idToken, verifyOptions(['things/read']))).toMatchObject({ ok: false, status: 401 });
  });
});

describe('verifyCognitoAuthorizer against a hand-made JWKS (expiry and algorithms)', () => {
  let server: http.Server;
  let issuer: string;
  let privateKey: KeyLike;
  let publicJwkText: string;
  const kid = 'test-key';

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' };
    publicJwkText = JSON.stringify(jwk);
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pool`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const options = () => ({ issuer, jwksUrl: `${issuer}/.well-known/jwks.json`, scopes: ['things/read'] });
  const sign = (claims: Record<string, unknown>, expiresAt: number, alg = 'RS256', key: unknown = privateKey) =>
    new SignJWT({ token_use: 'access', scope: 'things/read', ...claims })
      .setProtectedHeader({ alg, kid })
      .setIssuer(issuer)
      .setIssuedAt(expiresAt - 3600)
      .setExpirationTime(expiresAt)
      .sign(key as KeyLike);

  it('accepts a current token and refuses an expired one with 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await verifyCognitoAuthorizer(await sign({}, now + 600), options())).toMatchObject({ ok: true });
    expect(await verifyCognitoAuthorizer(await sign({}, now - 10), options())).toEqual({ ok: false, status: 401, message: 'Unauthorized' });
  });

  it('refuses an HMAC token signed with the public key material (algorithm confusion)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const secret = new TextEncoder().encode(publicJwkText);
    const hmac = await sign({}, now + 600, 'HS256', secret);
    expect(await verifyCognitoAuthorizer(hmac, options())).toMatchObject({ ok: false, status: 401 });
  });
});
