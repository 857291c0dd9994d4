import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AppFunction } from '../../lib/constructs/app-function';
import { importSpecifiers, sourceFilesOf } from '../../lib/constructs/source-fingerprint';
import { templateOf, testApp } from '../support/synth';

const REPO = path.join(__dirname, '..', '..');

/** A copy of the handlers' sources and the lock file, to change without touching the repository. */
const project = fs.mkdtempSync(path.join(os.tmpdir(), 'source-fingerprint-'));
fs.cpSync(path.join(REPO, 'lambda'), path.join(project, 'lambda'), { recursive: true });
fs.copyFileSync(path.join(REPO, 'package-lock.json'), path.join(project, 'package-lock.json'));
afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

const handlersDir = path.join(project, 'lambda', 'handlers');
const handlerFiles = fs.readdirSync(handlersDir).filter((file) => file.endsWith('.ts'));

/** Every handler as AppFunction makes it (bundling skipped, as in every synth test): its asset hash, by handler file. */
function assetHashes(): Record<string, string> {
  const stack = new Stack(testApp(), 'Handlers');
  const functionIds = new Map<string, string>();
  for (const file of handlerFiles) {
    const fn = new AppFunction(stack, file.replace(/\W/g, ''), {
      handlerFile: path.join(handlersDir, file),
      projectRoot: project,
      description: file,
      serviceName: 'test',
      invocation: { kind: 'api' },
      logRetention: RetentionDays.ONE_DAY,
    });
    functionIds.set(stack.getLogicalId(fn.fn.node.defaultChild as never), file);
  }
  const functions = templateOf(stack).findResources('AWS::Lambda::Function');
  return Object.fromEntries(
    Object.entries(functions).map(([id, resource]) => [
      functionIds.get(id),
      (resource.Properties.Code.S3Key as string).replace(/\.zip$/, ''),
    ]),
  );
}

function changedHandlers(before: Record<string, string>, after: Record<string, string>): string[] {
  return handlerFiles.filter((file) => before[file] !== after[file]);
}

describe('handler asset hashes (source fingerprints)', () => {
  const original = assetHashes();

  it('gives every handler its own asset', () => {
    expect(Object.keys(original).sort()).toEqual([...handlerFiles].sort());
    expect(new Set(Object.values(original)).size).toBe(handlerFiles.length);
  });

  it('changes exactly one asset when one handler file changes', () => {
    const file = path.join(handlersDir, 'get-import.ts');
    const source = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, `${source}\n// a change\n`);
    try {
      expect(changedHandlers(original, assetHashes())).toEqual(['get-import.ts']);
    } finally {
      fs.writeFileSync(file, source);
    }
    expect(assetHashes()).toEqual(original);
  });

  it('changes the assets of exactly the handlers that import a changed shared file', () => {
    const shared = path.join(project, 'lambda', 'domain', 'pagination.ts');
    const users = handlerFiles.filter((file) => sourceFilesOf(path.join(handlersDir, file)).includes(shared));
    expect(users.length).toBeGreaterThan(0);
    expect(users.length).toBeLessThan(handlerFiles.length);

    const source = fs.readFileSync(shared, 'utf8');
    fs.writeFileSync(shared, `${source}\n// a change\n`);
    try {
      expect(changedHandlers(original, assetHashes())).toEqual(users);
    } finally {
      fs.writeFileSync(shared, source);
    }
  });

  it('changes every asset when the lock file changes', () => {
    const lock = path.join(project, 'package-lock.json');
    const source = fs.readFileSync(lock, 'utf8');
    fs.writeFileSync(lock, source.replace('"lockfileVersion"', '"name": "changed",\n  "lockfileVersion"'));
    try {
      expect(changedHandlers(original, assetHashes())).toEqual(handlerFiles);
    } finally {
      fs.writeFileSync(lock, source);
    }
  });
});

describe('import scanning', () => {
  it('finds static, multi-line, re-exported, side-effect, dynamic and require imports', () => {
    const source = [
      "import { a } from './a';",
      'import {',
      '  b,',
      "} from '../b';",
      "export { c } from './c';",
      "export * from './d';",
      "import './e';",
      "const f = await import('./f');",
      "const g = require('./g');",
      "import type { H } from '@aws-sdk/h';",
    ].join('\n');

    expect(importSpecifiers(source)).toEqual(['./a', '../b', './c', './d', './e', './f', './g', '@aws-sdk/h']);
  });

  it('fails loudly on a relative import that names no file, rather than leave it out', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'source-fingerprint-missing-'));
    const entry = path.join(dir, 'handler.ts');
    fs.writeFileSync(entry, "import { gone } from './gone';\nexport const handler = gone;\n");
    try {
      expect(() => sourceFilesOf(entry)).toThrow(/imports \.\/gone, which is not a file/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
