import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const SCRIPT = path.join(__dirname, 'token-issuer-process.mjs');

/** What to sign: claims replacing Cognito's defaults, claims to leave out, header fields, the key. */
export interface SignRequest {
  readonly claims?: Record<string, unknown>;
  readonly omit?: readonly string[];
  readonly header?: Record<string, unknown>;
  /** `stranger`: a key the JWKS does not publish, under the published kid. @default 'primary' */
  readonly key?: 'primary' | 'stranger';
}

export interface LocalTokenIssuer {
  /** `http://127.0.0.1:<port>/eu-west-1_LocalPool`: the `iss` of its tokens. */
  readonly issuer: string;
  readonly jwksUrl: string;
  /** A compact JWS signed with RS256 (`jose`), Cognito access-token claims unless told otherwise. */
  sign(request?: SignRequest): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts the loopback token issuer (test/support/token-issuer-process.mjs, a separate Node process
 * because `jose` is ESM-only) and waits for its address.
 */
export async function startLocalTokenIssuer(): Promise<LocalTokenIssuer> {
  const child: ChildProcess = spawn(process.execPath, [SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = await new Promise<{ issuer: string; jwksUrl: string; signUrl: string }>((resolve, reject) => {
    let text = '';
    child.once('exit', (code) => reject(new Error(`The token issuer exited with ${code}`)));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const newline = text.indexOf('\n');
      if (newline >= 0) resolve(JSON.parse(text.slice(0, newline)) as { issuer: string; jwksUrl: string; signUrl: string });
    });
  });
  return {
    issuer: address.issuer,
    jwksUrl: address.jwksUrl,
    async sign(request = {}) {
      const response = await fetch(address.signUrl, { method: 'POST', body: JSON.stringify(request) });
      const text = await response.text();
      if (!response.ok) throw new Error(`Signing failed: ${text}`);
      return text;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
