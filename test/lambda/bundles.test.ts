import * as path from 'node:path';
import { build, type BuildOptions } from 'esbuild';

/**
 * The handlers' real bundles, built the way AppFunction's NodejsFunction builds them (the esbuild
 * arguments it passes for the project's bundling options: ESM, minified, `module` entry points
 * first, the AWS SDK bundled, node24 target). One esbuild run builds every handler this file checks.
 */
const APP_FUNCTION_BUNDLING: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  mainFields: ['module', 'main'],
  external: [],
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  sourcemap: false,
  write: false,
  logLevel: 'silent',
};

const HANDLERS_DIR = path.join(__dirname, '..', '..', 'lambda', 'handlers');

/** Handlers that touch S3 objects and no table: their bundles need no DynamoDB client. */
const S3_ONLY_HANDLERS = ['import-validate', 'import-transform', 'weekly-cleanup'] as const;
/** A handler that uses a table, to show the check below can see the DynamoDB client when it is there. */
const TABLE_HANDLER = 'get-user';

// Every DynamoDB client operation's schema carries its service's shape namespace.
const DYNAMODB_SHAPES = 'com.amazonaws.dynamodb#';

let bundles: Map<string, string>;

beforeAll(async () => {
  const names = [...S3_ONLY_HANDLERS, TABLE_HANDLER];
  const result = await build({
    ...APP_FUNCTION_BUNDLING,
    entryPoints: Object.fromEntries(names.map((name) => [name, path.join(HANDLERS_DIR, `${name}.ts`)])),
    outdir: '/bundles',
    outExtension: { '.js': '.mjs' },
  });
  bundles = new Map((result.outputFiles ?? []).map((file) => [path.basename(file.path, '.mjs'), file.text]));
});

describe('handler bundles', () => {
  it.each(S3_ONLY_HANDLERS)('%s carries no DynamoDB client code', (name) => {
    const bundle = bundles.get(name) ?? '';
    expect(bundle.length).toBeGreaterThan(1000);
    expect(bundle.includes(DYNAMODB_SHAPES)).toBe(false);
  });

  it('a handler that uses a table carries the DynamoDB client (the check above can see it)', () => {
    expect(bundles.get(TABLE_HANDLER)).toContain(DYNAMODB_SHAPES);
  });
});
