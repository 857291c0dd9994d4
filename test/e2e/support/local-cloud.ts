import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { Endpoints } from '../../../tools/local-cloud/platform';
import { compiledEntry } from '../../support/compiled-entry';
import { sourceHash } from '../../support/source-hash';

const PROJECT = path.join(__dirname, '..', '..', '..');
const SOURCES = ['lib', 'bin', 'lambda', 'containers', 'cdk.json', 'package-lock.json'];

/** The runner compiled once per source state (compiledEntry); startLocalCloud runs it unless `throughTsx` is set. */
export function compiledRunner(): string {
  // Each Lambda execution environment runs lambda-bootstrap.mjs, found beside the runner's code.
  return compiledEntry({
    entry: 'tools/local-cloud/cli.ts',
    sources: ['tools/local-cloud'],
    besides: ['tools/local-cloud/lambda-bootstrap.mjs'],
  });
}

/**
 * The dev cloud assembly, synthesized with bundling once per source state and cached in the
 * system's temporary folder (never in the repository), so test files share one real synth.
 */
export function devAssembly(): string {
  const directory = path.join(os.tmpdir(), `local-cloud-cdkout-dev-${sourceHash(SOURCES)}`);
  if (fs.existsSync(path.join(directory, 'manifest.json'))) return directory;
  const partial = `${directory}.partial-${process.pid}`;
  const result = spawnSync(
    process.execPath,
    [path.join(PROJECT, 'node_modules', 'aws-cdk', 'bin', 'cdk'), 'synth', 'dev/*', '--quiet', '-c', 'environments=dev', '-o', partial],
    {
      cwd: PROJECT,
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`cdk synth failed: ${result.stderr}`);
  try {
    fs.renameSync(partial, directory);
  } catch (error) {
    // Another test file synthesized the same sources at the same time: keep its copy.
    if (!fs.existsSync(path.join(directory, 'manifest.json'))) throw error;
    fs.rmSync(partial, { recursive: true, force: true });
  }
  return directory;
}

/** A copy of an assembly whose templates `edit` changes (the negative tests' "copy of the template"). */
export function editedAssembly(
  source: string,
  edit: (template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> }, file: string) => void,
): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'local-cloud-edited-'));
  fs.cpSync(source, directory, { recursive: true });
  const walk = (folder: string) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory() && entry.name.startsWith('assembly-')) walk(full);
      else if (entry.name.endsWith('.template.json')) {
        const template = JSON.parse(fs.readFileSync(full, 'utf8'));
        edit(template, entry.name);
        fs.writeFileSync(full, JSON.stringify(template));
      }
    }
  };
  walk(directory);
  return directory;
}

export interface RunningCloud {
  readonly endpoints: Endpoints;
  readonly workDirectory: string;
  /** Every line the runner printed so far. */
  readonly output: () => string;
  /** `npm run local -- invoke-schedule <name>` against this instance. */
  invokeSchedule(name: string): { status: number | null; stdout: string };
  stop(): Promise<void>;
}

/**
 * Starts the runner as a developer does (`npm start`: the same sources, compiled once by
 * `compiledRunner`, or through tsx's loader with `throughTsx`, as `npm start` runs them) on an
 * assembly, with its own work folder, and waits until it has written its endpoints.
 */
export async function startLocalCloud(
  assembly: string,
  extraArguments: string[] = [],
  options: { throughTsx?: boolean } = {},
): Promise<RunningCloud> {
  const workDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'local-cloud-work-'));
  // Node itself (not the tsx wrapper), so Ctrl-C (SIGINT) reaches the runner.
  const node = (args: string[]) => [process.execPath, options.throughTsx === true ? ['--import', 'tsx', ...args] : args] as const;
  const cli = options.throughTsx === true ? path.join(PROJECT, 'tools', 'local-cloud', 'cli.ts') : compiledRunner();
  // Local images are keyed by their asset's content hash: test files and runs share them, so the
  // worker image is built from its Dockerfile once per source state, not once per started cloud.
  const imageCache = path.join(os.tmpdir(), 'local-cloud-images');
  const child: ChildProcess = spawn(
    ...node([cli, '--assembly', assembly, '--no-synth', '--work', workDirectory, '--image-cache', imageCache, ...extraArguments]),
    {
      cwd: PROJECT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    },
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (output += text));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpointsFile = path.join(workDirectory, 'endpoints.json');
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(endpointsFile)) {
    if (child.exitCode !== null) throw new Error(`the runner exited before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the runner was not ready within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // The runner prints its banner before it writes endpoints.json, but the pipe's data can reach
  // this process a little after the file is seen: wait for the banner's last line too.
  while (!/^ {2}endpoints {7}/m.test(output)) {
    if (Date.now() > deadline) throw new Error(`the runner wrote its endpoints but not its banner within 60 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const endpoints = JSON.parse(fs.readFileSync(endpointsFile, 'utf8')) as Endpoints;
  return {
    endpoints,
    workDirectory,
    output: () => output,
    invokeSchedule: (name) => {
      const result = spawnSync(...node([cli, 'invoke-schedule', name, '--work', workDirectory]), {
        cwd: PROJECT,
        encoding: 'utf8',
        env: { ...process.env, NODE_NO_WARNINGS: '1' },
      });
      return { status: result.status, stdout: result.stdout };
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
      fs.rmSync(workDirectory, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` until it returns a value (not undefined) or the time runs out. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'the condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError === undefined ? '' : `: ${String(lastError)}`}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * An access token from the running platform's token endpoint, as a caller gets one: the client
 * credentials grant with the client ID and secret from `.local/endpoints.json`, for `scope` (the
 * full `<resource server>/<scope>` string) from the first client allowed it.
 */
export async function accessToken(endpoints: Endpoints, scope: string): Promise<string> {
  const client = endpoints.tokens.find((candidate) => candidate.scopes.includes(scope));
  if (client === undefined)
    throw new Error(
      `no client in endpoints.json may ask for ${scope}: ${endpoints.tokens.map((token) => `${token.name} [${token.scopes.join(' ')}]`).join(', ')}`,
    );
  const response = await fetch(client.url, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret ?? ''}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  });
  const body = (await response.json()) as { access_token?: string; error?: string };
  if (response.status !== 200 || body.access_token === undefined)
    throw new Error(`token endpoint answered ${response.status}: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** The scope of the resource servers' scopes that ends in `/<name>` (e.g. `users.read`). */
export function scopeNamed(endpoints: Endpoints, name: string): string {
  const scope = [...new Set(endpoints.tokens.flatMap((token) => token.scopes))].find((candidate) => candidate.endsWith(`/${name}`));
  if (scope === undefined) throw new Error(`no client is allowed a scope named ${name}`);
  return scope;
}

/**
 * An S3 client for the local cloud's S3 endpoint, as a developer would make it: path-style, and
 * checksums only where required (s3rver stores streamed bodies corrupted otherwise).
 */
export function localS3Client(endpoints: Endpoints): S3Client {
  return new S3Client({
    endpoint: endpoints.s3Endpoint,
    region: endpoints.region,
    credentials: endpoints.credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
