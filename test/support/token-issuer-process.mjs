// A stand-in for a Cognito user pool's token side, on loopback: it serves its signing keys at
// `<issuer>/.well-known/jwks.json` and signs access tokens shaped like Cognito's client-credentials
// tokens (RS256, `kid` header; sub, token_use, scope, client_id, iss, exp, iat, jti claims).
//
// It runs as its own Node process because `jose` is ESM-only and Jest loads test code as CommonJS;
// test/support/local-token-issuer.ts starts it and talks to it over HTTP.
//
//   POST /sign  {"claims": {...}, "omit": ["exp"], "header": {...}, "key": "primary" | "stranger"}
//   → the compact JWT. Claims given replace the defaults; "stranger" signs with a key the JWKS
//     does not publish, under the published kid.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

const POOL_ID = 'eu-west-1_LocalPool';
const KID = 'local-key-1';

const primary = await generateKeyPair('RS256', { extractable: true });
const stranger = await generateKeyPair('RS256', { extractable: true });
const publicJwk = { ...(await exportJWK(primary.publicKey)), kid: KID, alg: 'RS256', use: 'sig' };

let issuer = '';

async function sign({ claims = {}, omit = [], header = {}, key = 'primary' }) {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    sub: 'local-client',
    token_use: 'access',
    scope: 'user-data-api/exports.read',
    auth_time: now,
    iss: issuer,
    exp: now + 3600,
    iat: now,
    version: 2,
    jti: randomUUID(),
    client_id: 'local-client',
    ...claims,
  };
  for (const name of omit) delete payload[name];
  const privateKey = key === 'stranger' ? stranger.privateKey : primary.privateKey;
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: KID, ...header }).sign(privateKey);
}

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === `/${POOL_ID}/.well-known/jwks.json`) {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ keys: [publicJwk] }));
    return;
  }
  if (request.method === 'POST' && request.url === '/sign') {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      sign(JSON.parse(body || '{}')).then(
        (token) => {
          response.writeHead(200, { 'Content-Type': 'text/plain' });
          response.end(token);
        },
        (error) => {
          response.writeHead(400, { 'Content-Type': 'text/plain' });
          response.end(String(error));
        },
      );
    });
    return;
  }
  response.writeHead(404);
  response.end();
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  issuer = `http://127.0.0.1:${port}/${POOL_ID}`;
  process.stdout.write(
    `${JSON.stringify({ issuer, jwksUrl: `${issuer}/.well-known/jwks.json`, signUrl: `http://127.0.0.1:${port}/sign` })}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
