#!/usr/bin/env node
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Endpoints } from './platform';
import { staleness, synthesize } from './synth';
// The runner's engines, IAM and identity provider (and the AWS SDK clients they load) are imported
// only when an instance starts: `invoke-schedule` is one HTTP call and starts in a fraction of the time.
const runner = async () => ({
  ...(await import('./assembly')),
  ...(await import('./platform')),
  ...(await import('./plugins')),
  ...(await import('./support')),
});

const USAGE = `Runs the synthesized cloud assembly on this machine, without Docker or an AWS account.

  npm start [-- options]                      start the environment (default: dev)
  npm run local -- invoke-schedule <name>     fire a schedule of the running instance now

options:
  --env dev|staging|prod   the environment (stage of the assembly) to run       (default dev)
  --data DIR               keep tables, objects and logs in DIR between runs   (default: in memory)
  --assembly DIR           the cloud assembly                                   (default cdk.out)
  --no-synth               never synthesize, even when cdk.out is stale
  --api-port N, --gateway-port N, --alb-port N, --control-port N   fixed ports (default: free ports)
  --visibility-scale X     multiply queue visibility timeouts by X (e.g. 0.01 to watch redrive)
  --allow-unsupported      start even if the assembly has resource types the runner does not know
  --work DIR               where endpoints.json, logs and local images go       (default .local)
  --image-cache DIR        keep locally built images here instead (shared by instances; keyed by asset hash)
`;

const projectDirectory = process.cwd();
const workOption = process.argv.indexOf('--work');
/** .local/ of the project (endpoints.json, logs, local images); --work moves it (tests, several instances). */
const workDirectory = workOption >= 0 ? path.resolve(process.argv[workOption + 1]) : path.join(projectDirectory, '.local');
const endpointsFile = path.join(workDirectory, 'endpoints.json');

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  if (argv[0] === 'invoke-schedule') return invokeSchedule(argv[1]);
  const option = (name: string) => {
    const index = argv.indexOf(name);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const stage = option('--env') ?? 'dev';
  const assemblyDirectory = path.resolve(option('--assembly') ?? 'cdk.out');
  const dataDirectory = option('--data') === undefined ? undefined : path.resolve(option('--data') as string);
  const port = (name: string) => (option(name) === undefined ? undefined : Number(option(name)));
  const log = (line: string) => process.stdout.write(`${line}\n`);

  const stale = argv.includes('--no-synth') ? undefined : staleness(projectDirectory, assemblyDirectory, stage);
  if (stale !== undefined) {
    log(`synth    ${stale}`);
    synthesize(projectDirectory, assemblyDirectory, stage, log);
  }

  const { loadPlugins, startPlatform } = await runner();
  const plugins = loadPlugins();
  const started = Date.now();
  const platform = await startPlatform({
    assemblyDirectory,
    stage,
    dataDirectory,
    workDirectory,
    imageCacheDirectory: option('--image-cache') === undefined ? undefined : path.resolve(option('--image-cache') as string),
    projectDirectory,
    ports: { api: port('--api-port'), gateway: port('--gateway-port'), alb: port('--alb-port'), control: port('--control-port') },
    visibilityScale: option('--visibility-scale') === undefined ? 1 : Number(option('--visibility-scale')),
    allowUnsupported: argv.includes('--allow-unsupported'),
    startGateway: plugins.startGateway,
    evaluate: plugins.evaluate,
    identity: plugins.identity,
    checkTask: plugins.checkTask,
    log,
  });
  log(await banner(platform.endpoints, stage, assemblyDirectory, Date.now() - started));
  // Written last: a script (or test) that waits for endpoints.json finds the banner printed.
  fs.mkdirSync(workDirectory, { recursive: true });
  fs.writeFileSync(endpointsFile, `${JSON.stringify(platform.endpoints, null, 2)}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log('\nstopping: functions, containers, engines…');
    setTimeout(() => {
      log('!!! still stopping after 10 s: exiting anyway');
      process.exit(1);
    }, 10_000).unref();
    await platform.close();
    fs.rmSync(endpointsFile, { force: true });
    log('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

async function banner(endpoints: Endpoints, stage: string, assemblyDirectory: string, startupMs: number): Promise<string> {
  const { readAssembly, classifyResourceTypes, EMULATED_TYPES, INERT_TYPES, DEVELOPER_CREDENTIALS } = await runner();
  const stacks = readAssembly(assemblyDirectory, stage);
  const types = classifyResourceTypes(stacks, EMULATED_TYPES, INERT_TYPES);
  const lines = [
    '',
    `════ local cloud: ${stage} from ${path.relative(projectDirectory, assemblyDirectory) || assemblyDirectory} — ready in ${startupMs} ms ════`,
    ...Object.entries(endpoints.apis).map(([name, url]) => `  REST API        ${url}    (${name})`),
    ...(endpoints.exportUrl === undefined ? [] : [`  load balancer   ${endpoints.exportUrl}`]),
    `  AWS endpoint    ${endpoints.gatewayUrl}    (every service; access key ${DEVELOPER_CREDENTIALS.accessKeyId}, secret ${DEVELOPER_CREDENTIALS.secretAccessKey}, region ${endpoints.region})`,
    ...Object.entries(endpoints.buckets).map(([name, bucket]) => `  bucket          ${bucket}    (${name})`),
    ...Object.entries(endpoints.schedules).map(
      ([name, schedule]) =>
        `  schedule        ${name}  ${schedule.expression} ${schedule.timezone} ${schedule.state}    (npm run local -- invoke-schedule ${name})`,
    ),
    ...(endpoints.tokens.length === 0
      ? ['  tokens          none: the assembly has no Cognito user pool client with client credentials (or no local identity provider)']
      : [
          '  get a token     client credentials, as a caller would; send its access_token as "Authorization: Bearer <token>" (docs/local.md)',
          ...endpoints.tokens.map(
            (token) =>
              `  token           curl -s -u ${token.clientId}:${token.clientSecret ?? ''} -d grant_type=client_credentials -d scope='${token.scopes.join(' ')}' ${token.url}    (${token.name})`,
          ),
        ]),
    `  endpoints       ${path.relative(projectDirectory, endpointsFile)}    logs: ${path.relative(projectDirectory, path.join(workDirectory, 'logs'))}/`,
    `  not emulated    ${types.inert.map((entry) => `${entry.type} ×${entry.count}`).join(', ')}`,
    '  not modelled    S3 versioning (s3rver keeps one version; events carry a generated versionId), KMS encryption, VPC/security groups, alarms',
    'Ctrl-C stops everything.',
    '',
  ];
  return lines.join('\n');
}

async function invokeSchedule(name: string | undefined): Promise<void> {
  if (name === undefined) throw new Error('usage: npm run local -- invoke-schedule <name>');
  if (!fs.existsSync(endpointsFile))
    throw new Error(`No running instance: ${path.relative(projectDirectory, endpointsFile)} is missing (start one with npm start)`);
  const endpoints = JSON.parse(fs.readFileSync(endpointsFile, 'utf8')) as Endpoints;
  const response = await fetch(`${endpoints.controlUrl}/schedules/${encodeURIComponent(name)}/invoke`, { method: 'POST' });
  const result = (await response.json()) as { ok: boolean; detail: string };
  process.stdout.write(`${result.ok ? 'fired' : 'not fired'}: ${result.detail}\n`);
  if (!result.ok) process.exitCode = 1;
}

main(process.argv.slice(2)).catch((error: Error) => {
  process.stderr.write(`local cloud: ${error.message}\n`);
  process.exit(1);
});
