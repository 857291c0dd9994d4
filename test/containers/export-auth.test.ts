import { request as httpRequest } from 'node:http';
import { createTableFromTemplate, startLocalDynamo, type LocalDynamo } from '../support/local-dynamodb';
import { localAwsEnv } from '../support/local-aws-env';
import { startLocalTokenIssuer, type LocalTokenIssuer } from '../support/local-token-issuer';
import { statefulStackTemplate } from '../support/stateful-tables';
import { buildWorkerBundle, exportServerUrl, logsWithMessage, spawnWorker, type WorkerProcess } from '../support/worker-process';

// The real export server (the bundle the image runs) behind a loopback identity provider whose
// RS256 tokens are shaped like Cognito's client-credentials access tokens.
let dynamo: LocalDynamo;
let issuer: LocalTokenIssuer;
let worker: WorkerProcess;
let bundle: string;
let url: string;
let workerEnv: Record<string, string>;

const EXPORT_SCOPE = 'user-data-api/exports.read';
const CHALLENGE = 'Bearer realm="user-data-api"';
const INVALID_TOKEN = 'Bearer realm="user-data-api", error="invalid_token"';

beforeAll(async () => {
  [bundle, dynamo, issuer] = await Promise.all([buildWorkerBundle(), startLocalDynamo(), startLocalTokenIssuer()]);
  const tableName = await createTableFromTemplate(dynamo.client, statefulStackTemplate(), 'UsersTable');
  workerEnv = {
    ...localAwsEnv({ dynamodb: dynamo.endpoint }),
    USERS_TABLE_NAME: tableName,
    PORT: '0',
    AUTH_ISSUER: issuer.issuer,
    AUTH_JWKS_URL: issuer.jwksUrl,
    AUTH_CLIENT_IDS: 'local-client, reporting-client',
    AUTH_REQUIRED_SCOPE: EXPORT_SCOPE,
  };
  worker = spawnWorker(bundle, ['serve'], workerEnv);
  url = await exportServerUrl(worker);
});

afterAll(async () => {
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await dynamo?.stop();
  await issuer?.stop();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const exportWith = (headers: Record<string, string>, method = 'GET') => fetch(`${url}/exports/users.csv`, { method, headers });

/** base64url of a JSON value, as JWTs encode their parts. */
const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function expectRefused(response: Response, status: number, challenge: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('www-authenticate')).toBe(challenge);
  expect(response.headers.get('content-type')).toBe('application/json');
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toEqual({ error: status === 401 ? 'Unauthorized' : 'Forbidden', message: expect.any(String) });
}

describe('the export service with a valid token', () => {
  it('serves the export to a client it accepts', async () => {
    const response = await exportWith(bearer(await issuer.sign()));

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('id,name,email,phone,createdAt\r\n');
    expect(logsWithMessage(worker.lines, 'Request authorized')).toContainEqual(
      expect.objectContaining({ path: '/exports/users.csv', method: 'GET', clientId: 'local-client' }),
    );
  });

  it('accepts every client in AUTH_CLIENT_IDS, whatever other scopes the token holds', async () => {
    const token = await issuer.sign({ claims: { client_id: 'reporting-client', scope: `user-data-api/users.read ${EXPORT_SCOPE}` } });

    expect((await exportWith(bearer(token))).status).toBe(200);
  });
});

describe('the export service refuses with 401 and a Bearer challenge', () => {
  it('a request without a token', async () => {
    await expectRefused(await exportWith({}), 401, CHALLENGE);
  });

  it.each([
    ['another scheme', 'Basic dXNlcjpwYXNzd29yZA=='],
    ['the scheme without a token', 'Bearer'],
    ['a token with spaces in it', 'Bearer two words'],
  ])('a malformed Authorization header: %s', async (_, header) => {
    await expectRefused(await exportWith({ authorization: header }), 401, CHALLENGE);
  });

  it('accepts the scheme name in any case, as RFC 7235 asks', async () => {
    expect((await exportWith({ authorization: `bearer ${await issuer.sign()}` })).status).toBe(200);
  });

  it('a bearer value that is not a JWT', async () => {
    await expectRefused(await exportWith(bearer('not-a-jwt')), 401, INVALID_TOKEN);
  });

  it('an expired token', async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    await expectRefused(await exportWith(bearer(await issuer.sign({ claims: { iat: past - 3600, exp: past } }))), 401, INVALID_TOKEN);
  });

  it('a token not valid yet (nbf in the future)', async () => {
    const soon = Math.floor(Date.now() / 1000) + 600;
    await expectRefused(await exportWith(bearer(await issuer.sign({ claims: { nbf: soon } }))), 401, INVALID_TOKEN);
  });

  it('a token without an expiry', async () => {
    await expectRefused(await exportWith(bearer(await issuer.sign({ omit: ['exp'] }))), 401, INVALID_TOKEN);
  });

  it('a token from another issuer', async () => {
    const token = await issuer.sign({ claims: { iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_SomeoneElse' } });
    await expectRefused(await exportWith(bearer(token)), 401, INVALID_TOKEN);
  });

  it('a token issued to a client the service does not accept, even with the export scope', async () => {
    await expectRefused(await exportWith(bearer(await issuer.sign({ claims: { client_id: 'users-admin-client' } }))), 401, INVALID_TOKEN);
  });

  it('an ID token (token_use id) instead of an access token', async () => {
    const token = await issuer.sign({ claims: { token_use: 'id', aud: 'local-client' }, omit: ['scope', 'client_id'] });
    await expectRefused(await exportWith(bearer(token)), 401, INVALID_TOKEN);
  });

  it('a token whose payload was changed after signing', async () => {
    const [header, , signature] = (await issuer.sign({ claims: { scope: 'user-data-api/users.read' } })).split('.');
    const now = Math.floor(Date.now() / 1000);
    const forged = part({
      sub: 'local-client',
      token_use: 'access',
      scope: EXPORT_SCOPE,
      iss: issuer.issuer,
      exp: now + 3600,
      iat: now,
      client_id: 'local-client',
    });

    await expectRefused(await exportWith(bearer(`${header}.${forged}.${signature}`)), 401, INVALID_TOKEN);
  });

  it('a token signed with a key the issuer does not publish, under its key ID', async () => {
    await expectRefused(await exportWith(bearer(await issuer.sign({ key: 'stranger' }))), 401, INVALID_TOKEN);
  });

  it('tokens naming a key ID the issuer does not publish, again and again (no 5xx while the cache waits to refetch)', async () => {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await expectRefused(await exportWith(bearer(await issuer.sign({ header: { kid: 'rotated-away' } }))), 401, INVALID_TOKEN);
    }
  });

  it('an unsigned token (alg none)', async () => {
    const valid = (await issuer.sign()).split('.');
    const payload = JSON.parse(Buffer.from(valid[1], 'base64url').toString('utf8')) as Record<string, unknown>;
    const unsigned = `${part({ alg: 'none', typ: 'JWT', kid: 'local-key-1' })}.${part(payload)}.`;

    await expectRefused(await exportWith(bearer(unsigned)), 401, INVALID_TOKEN);
    await expectRefused(await exportWith(bearer(`${unsigned}c2ln`)), 401, INVALID_TOKEN);
  });

  it('a HEAD request without a token, with the status and challenge and no body', async () => {
    const response = await exportWith({}, 'HEAD');

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(CHALLENGE);
    expect(await response.text()).toBe('');
  });

  it('a Range request without a token', async () => {
    await expectRefused(await exportWith({ range: 'bytes=0-99' }), 401, CHALLENGE);
  });

  it('a request for an unknown path without a token (no route is revealed)', async () => {
    const response = await fetch(`${url}/exports/../admin`, { headers: {} });
    await expectRefused(response, 401, CHALLENGE);
  });

  it('a write to the export without a token, before the method is looked at', async () => {
    await expectRefused(await exportWith({}, 'POST'), 401, CHALLENGE);
  });
});

describe('the export service refuses with 403 insufficient_scope', () => {
  it('a valid token of an accepted client without the export scope', async () => {
    const token = await issuer.sign({ claims: { scope: 'user-data-api/users.read user-data-api/users.write' } });
    await expectRefused(
      await exportWith(bearer(token)),
      403,
      `Bearer realm="user-data-api", error="insufficient_scope", scope="${EXPORT_SCOPE}"`,
    );
  });

  it('a token whose scope only starts like the export scope', async () => {
    const token = await issuer.sign({ claims: { scope: `${EXPORT_SCOPE}.all` } });
    expect((await exportWith(bearer(token))).status).toBe(403);
  });
});

describe('with a token, HEAD and Range requests', () => {
  it('answers HEAD with the export headers and no body', async () => {
    const response = await exportWith(bearer(await issuer.sign()), 'HEAD');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(await response.text()).toBe('');
  });

  it('answers a Range request with the whole export (ranges are not supported on a stream)', async () => {
    const response = await exportWith({ ...bearer(await issuer.sign()), range: 'bytes=0-1' });

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('id,name,email,phone,createdAt\r\n');
  });
});

describe('the health check', () => {
  it('stays open without a token for the load balancer, and says nothing but ok', async () => {
    const response = await fetch(`${url}/healthz`);

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"status":"ok"}');
  });
});

/** Waits for a worker expected to exit, killing it if it serves instead (so the run never hangs). */
async function exitOf(started: WorkerProcess): Promise<number | null> {
  const timer = setTimeout(() => started.child.kill('SIGKILL'), 15_000);
  try {
    return (await started.exited).code;
  } finally {
    clearTimeout(timer);
  }
}

describe('when the signing keys cannot be fetched', () => {
  it('answers 503 with Retry-After to a well-formed token, and still 401 to no token: never a 200', async () => {
    const keyless = spawnWorker(bundle, ['serve'], { ...workerEnv, AUTH_JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json' });
    try {
      const keylessUrl = await exportServerUrl(keyless);
      const withToken = await fetch(`${keylessUrl}/exports/users.csv`, { headers: bearer(await issuer.sign()) });
      expect(withToken.status).toBe(503);
      expect(withToken.headers.get('retry-after')).toBe('5');
      expect(await withToken.json()).toEqual({ error: 'ServiceUnavailable', message: expect.any(String) });
      // Within the cache's wait before the next fetch: still unavailable, not the caller's fault.
      expect((await fetch(`${keylessUrl}/exports/users.csv`, { headers: bearer(await issuer.sign()) })).status).toBe(503);
      expect((await fetch(`${keylessUrl}/exports/users.csv`)).status).toBe(401);
    } finally {
      keyless.child.kill('SIGTERM');
      await keyless.exited;
    }
  });
});

describe('the export server without a token check', () => {
  it('refuses to start when AUTH_* is missing, rather than serve without a check', async () => {
    const { AUTH_ISSUER: _dropped, ...withoutIssuer } = workerEnv;
    const unconfigured = spawnWorker(bundle, ['serve'], withoutIssuer);

    expect(await exitOf(unconfigured)).toBe(1);
    expect(unconfigured.lines.join('\n')).toContain('AUTH_ISSUER is not set');
  });

  it('refuses signing keys over plain HTTP from anywhere but loopback', async () => {
    const unconfigured = spawnWorker(bundle, ['serve'], { ...workerEnv, AUTH_JWKS_URL: 'http://keys.example.com/.well-known/jwks.json' });

    expect(await exitOf(unconfigured)).toBe(1);
    expect(unconfigured.lines.join('\n')).toContain('AUTH_JWKS_URL must be https');
  });
});

describe('a hostile caller (review)', () => {
  /** A request with the path exactly as written (fetch would normalise `..` and `//`). */
  const raw = (path: string, headers: Record<string, string | string[]> = {}, method = 'GET') =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${url}${path}`, { method, headers }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', reject);
      request.setHeader('host', '127.0.0.1');
      request.path = path;
      request.end();
    });

  it('a token whose scope holds the export scope only inside a longer scope', async () => {
    const token = await issuer.sign({ claims: { scope: `${EXPORT_SCOPE}all user-data-api/exports.readall x${EXPORT_SCOPE}` } });
    expect((await exportWith(bearer(token))).status).toBe(403);
  });

  it('a token without client_id, and one without token_use, even with the export scope', async () => {
    await expectRefused(await exportWith(bearer(await issuer.sign({ omit: ['client_id'] }))), 401, INVALID_TOKEN);
    await expectRefused(await exportWith(bearer(await issuer.sign({ omit: ['token_use'] }))), 401, INVALID_TOKEN);
  });

  it('a token whose header names no key ID', async () => {
    await expectRefused(await exportWith(bearer(await issuer.sign({ header: { kid: null } }))), 401, INVALID_TOKEN);
  });

  it('a valid token in a second Authorization header after an invalid first one is not looked at', async () => {
    const response = await raw('/exports/users.csv', { authorization: ['Bearer not-a-token', `Bearer ${await issuer.sign()}`] });
    expect(response.status).toBe(401);
  });

  it('paths that only resolve to the health check are not the health check', async () => {
    for (const path of ['//healthz', '/exports/../healthz', '/healthz/', '/HEALTHZ', '/healthz%2f']) {
      expect({ path, status: (await raw(path)).status }).toEqual({ path, status: 401 });
    }
  });

  it('a query string on the health check reveals nothing more', async () => {
    expect(await raw('/healthz?debug=1&verbose=true')).toEqual({ status: 200, body: '{"status":"ok"}' });
  });

  it('OPTIONS on the export without a token', async () => {
    expect((await raw('/exports/users.csv', {}, 'OPTIONS')).status).toBe(401);
  });

  it('a header larger than the server accepts is refused without reaching the check', async () => {
    const response = await raw('/exports/users.csv', { authorization: `Bearer ${'a'.repeat(20_000)}` });
    expect(response.status).toBe(431);
  });
});
