import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A container image without Docker: what the runner can honestly do is run the image's Node
 * entrypoint on this machine. From the Dockerfile's final stage it takes WORKDIR, ENV, ENTRYPOINT,
 * CMD and the `COPY --from=<stage>` files; it produces those files by running, once, the earlier
 * stage's RUN steps on the host (in the build context, `npm ci`/`npm install` steps skipped: the
 * host's node_modules stands in), with the stage's absolute output folders redirected to a local
 * folder. Limits: no base image (the host's Node and OS), no USER, no read-only root, only
 * `node`-style entrypoints that need nothing else from the image.
 */
export interface LocalImage {
  readonly root: string;
  readonly entrypoint: string[];
  readonly command: string[];
  readonly environment: Record<string, string>;
}

interface Stage {
  name: string | undefined;
  workdir: string;
  instructions: Array<{ keyword: string; argument: string }>;
}

export function buildLocalImage(options: {
  /** The image asset's build context (its copy in cdk.out). */
  contextDirectory: string;
  dockerfile: string;
  /** The asset's hash: the local image is rebuilt when it changes. */
  cacheKey: string;
  cacheDirectory: string;
  /** The project folder whose node_modules stands in for the image's `npm ci`. */
  projectDirectory: string;
  log: (line: string) => void;
}): LocalImage {
  const dockerfilePath = path.join(options.contextDirectory, options.dockerfile);
  const text = fs.readFileSync(dockerfilePath, 'utf8');
  const stages = parseDockerfile(text);
  const final = stages[stages.length - 1];
  const hash = options.cacheKey.slice(0, 16);
  const root = path.join(options.cacheDirectory, `image-${hash}`);
  const environment: Record<string, string> = {};
  let entrypoint: string[] = [];
  let command: string[] = [];
  for (const { keyword, argument } of final.instructions) {
    if (keyword === 'ENV') Object.assign(environment, parseEnv(argument));
    if (keyword === 'ENTRYPOINT') entrypoint = parseExecForm(argument);
    if (keyword === 'CMD') command = parseExecForm(argument);
  }
  if (fs.existsSync(path.join(root, '.complete'))) return { root, entrypoint, command, environment };

  // Built in folders of this process's own and renamed into place when complete, so several
  // runners sharing one cache (the end-to-end tests do) never see or remove each other's half-built image.
  const unique = `${process.pid}-${randomUUID().slice(0, 8)}`;
  const building = `${root}.partial-${unique}`;
  const scratch = path.join(options.cacheDirectory, `build-${hash}-${unique}`);
  fs.mkdirSync(scratch, { recursive: true });
  try {
    for (const { keyword, argument } of final.instructions) {
      if (keyword !== 'COPY') continue;
      const from = /--from=(\S+)/.exec(argument)?.[1];
      const parts = argument.split(/\s+/).filter((part) => !part.startsWith('--'));
      const destination = parts.pop() as string;
      const target = path.join(building, path.isAbsolute(destination) ? path.relative(final.workdir, destination) : destination);
      if (from === undefined) {
        for (const source of parts) copy(path.join(options.contextDirectory, source), target);
        continue;
      }
      const stage = stages.find((candidate) => candidate.name === from);
      if (stage === undefined) throw new Error(`${options.dockerfile}: COPY --from=${from} names no stage of this Dockerfile`);
      const context = path.join(scratch, 'context');
      if (!fs.existsSync(context)) {
        fs.cpSync(options.contextDirectory, context, { recursive: true });
        fs.symlinkSync(path.join(options.projectDirectory, 'node_modules'), path.join(context, 'node_modules'));
      }
      runStage(stage, context, scratch, options.log);
      for (const source of parts) copy(path.join(scratch, source), target);
    }
    fs.mkdirSync(building, { recursive: true });
    fs.writeFileSync(path.join(building, '.complete'), new Date().toISOString());
    try {
      fs.renameSync(building, root);
    } catch (error) {
      // Another runner finished the same image first: use its copy. A folder left by an
      // interrupted build of an older runner (no .complete) is replaced.
      if (fs.existsSync(path.join(root, '.complete'))) fs.rmSync(building, { recursive: true, force: true });
      else {
        if (!fs.existsSync(root)) throw error;
        fs.rmSync(root, { recursive: true, force: true });
        fs.renameSync(building, root);
      }
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.rmSync(building, { recursive: true, force: true });
  }
  options.log(
    `image    built ${options.dockerfile} locally into ${path.relative(process.cwd(), root)} (entrypoint ${[...entrypoint, ...command].join(' ')})`,
  );
  return { root, entrypoint, command, environment };
}

function runStage(stage: Stage, contextDirectory: string, scratch: string, log: (line: string) => void): void {
  for (const { keyword, argument } of stage.instructions) {
    if (keyword !== 'RUN') continue;
    const commandText = argument.replace(/--mount=\S+\s*/g, '').trim();
    if (/^(npm|yarn|pnpm)\s+(ci|install|i)\b/.test(commandText)) {
      log(`image    skipped "${commandText}": the host's node_modules stands in`);
      continue;
    }
    // Absolute output paths of the stage (e.g. /out) are redirected under the scratch folder.
    const redirected = commandText.replace(
      /(^|\s)\/(?!\/)([\w.-]+)/g,
      (_match, space: string, first: string) => `${space}${path.join(scratch, first)}`,
    );
    const result = spawnSync('sh', ['-c', redirected], { cwd: contextDirectory, stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`image build step failed (${redirected}): exit ${result.status}`);
  }
}

function copy(source: string, target: string): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.cpSync(source, target, { recursive: true });
}

function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const logical = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  for (const line of logical) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [, keyword, argument] = /^(\w+)\s+(.*)$/s.exec(trimmed) ?? [];
    if (keyword === undefined) continue;
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      stages.push({ name: /\sAS\s+(\S+)/i.exec(argument)?.[1], workdir: '/', instructions: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (upper === 'WORKDIR') stage.workdir = path.posix.resolve(stage.workdir, argument.trim());
    stage.instructions.push({ keyword: upper, argument: argument.trim() });
  }
  return stages;
}

function parseExecForm(argument: string): string[] {
  return argument.trim().startsWith('[') ? (JSON.parse(argument) as string[]) : ['sh', '-c', argument];
}

function parseEnv(argument: string): Record<string, string> {
  const out: Record<string, string> = {};
  const pairs = argument.match(/(\w+)=("[^"]*"|\S+)/g) ?? [];
  for (const pair of pairs) {
    const [name, ...value] = pair.split('=');
    out[name] = value.join('=').replace(/^"(.*)"$/, '$1');
  }
  return out;
}

/** Runs the image's entrypoint as a local process with the container's environment. */
export function runContainer(
  image: LocalImage,
  command: string[] | undefined,
  environment: Record<string, string>,
  logFile: string,
): { child: ChildProcess; exited: Promise<number | null> } {
  const argv = [...image.entrypoint, ...(command ?? image.command)];
  const [program, ...args] = argv[0] === 'node' ? [process.execPath, ...argv.slice(1)] : argv;
  // NODE_OPTIONS from the image (e.g. --enable-source-maps) is kept; everything else is the task's.
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const log = fs.openSync(logFile, 'a');
  const child = spawn(program, args, {
    cwd: image.root,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...image.environment, ...environment },
    stdio: ['ignore', log, log],
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      fs.closeSync(log);
      resolve(code);
    });
    child.once('error', () => resolve(127));
  });
  return { child, exited };
}
