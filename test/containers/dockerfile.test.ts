import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const dockerfile = fs.readFileSync(path.join(ROOT, 'containers', 'worker', 'Dockerfile'), 'utf8');
/** Instructions, without comments and blank lines, continuation lines joined. */
const instructions = dockerfile
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
const froms = instructions.filter((line) => /^FROM\s/i.test(line));
const finalStage = instructions.slice(instructions.lastIndexOf(froms[froms.length - 1]));

describe('worker Dockerfile', () => {
  it('is a multi-stage build whose final stage copies only the build output', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const copies = finalStage.filter((line) => /^COPY\s/i.test(line));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) expect(copy).toMatch(/--from=build\s/);
    expect(finalStage.some((line) => /npm (ci|install)/.test(line))).toBe(false);
  });

  it('bases every stage on Node 22 or newer', () => {
    for (const from of froms) {
      const major = /node:(\d+)/.exec(from)?.[1];
      expect(Number(major)).toBeGreaterThanOrEqual(22);
    }
  });

  it('runs as a non-root user', () => {
    const users = finalStage.filter((line) => /^USER\s/i.test(line));
    expect(users).toHaveLength(1);
    const user = users[0].split(/\s+/)[1];
    expect(user).not.toMatch(/^(root|0)(:.*)?$/);
  });

  it('runs the bundled worker, in server mode unless told otherwise', () => {
    expect(finalStage).toContain('ENTRYPOINT ["node", "dist/worker.js"]');
    expect(finalStage).toContain('CMD ["serve"]');
    expect(dockerfile).toContain('RUN node containers/worker/build.mjs /out/dist/worker.js');
  });

  it('lets into the build context only what the build reads', () => {
    const ignore = fs
      .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(ignore[0]).toBe('*');
    const copied = instructions
      .filter((line) => /^COPY\s/i.test(line) && !line.includes('--from='))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    for (const source of copied)
      expect(ignore).toContain(`!${source.endsWith('/') || !source.includes('.') ? source.replace(/\/?$/, '/') : source}`);
  });

  it('builds the worker from nothing but the files its build stage copies in', () => {
    // The image is built at deploy time, where a source the worker imports but the Dockerfile does
    // not copy fails the deployment. Build here from a context holding only the copied files, with
    // the project's node_modules standing in for `npm ci`.
    const buildStage = instructions.slice(0, instructions.indexOf(froms[1]));
    const context = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-context-'));
    try {
      for (const copy of buildStage.filter((line) => /^COPY\s/i.test(line))) {
        const [, ...sources] = copy.split(/\s+/).slice(0, -1);
        for (const source of sources) fs.cpSync(path.join(ROOT, source), path.join(context, source), { recursive: true });
      }
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(context, 'node_modules'));
      const out = path.join(context, 'out', 'worker.js');
      execFileSync(process.execPath, [path.join(context, 'containers', 'worker', 'build.mjs'), out], { cwd: context, stdio: 'pipe' });
      expect(fs.statSync(out).size).toBeGreaterThan(0);
    } finally {
      fs.rmSync(context, { recursive: true, force: true });
    }
  });
});
