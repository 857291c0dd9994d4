/**
 * Jest transform: TypeScript to CommonJS with esbuild (already the project's bundler), about ten
 * times faster than ts-jest on a cold cache. It only transpiles, like ts-jest did here with
 * `isolatedModules`; `npm run typecheck` checks types. Jest caches its output between runs.
 *
 * esbuild does not hoist `jest.mock()` above imports as babel-jest and ts-jest do, so a file that
 * calls it fails here with a clear message; the tests use `jest.spyOn` instead.
 */
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const { transformSync, version } = require('esbuild');
const tsconfig = require('../../tsconfig.json');

/** Changes when this file, esbuild or the compiler options change, so jest's cache never serves stale output. */
const TRANSFORM_KEY = createHash('sha256')
  .update(fs.readFileSync(__filename))
  .update(version)
  .update(JSON.stringify(tsconfig.compilerOptions))
  .digest('hex');

const { target, experimentalDecorators, useDefineForClassFields, esModuleInterop } = tsconfig.compilerOptions;

module.exports = {
  getCacheKey(source, filename) {
    return createHash('sha256').update(TRANSFORM_KEY).update(filename).update(source).digest('hex');
  },
  process(source, filename) {
    if (/\bjest\.mock\(/.test(source)) {
      throw new Error(
        `${filename} calls jest.mock(), which this transform does not hoist: use jest.spyOn, or jest.doMock before require()`,
      );
    }
    const { code, map } = transformSync(source, {
      loader: filename.endsWith('.tsx') ? 'tsx' : 'ts',
      format: 'cjs',
      target: 'node20',
      sourcefile: filename,
      sourcemap: 'external',
      sourcesContent: false,
      tsconfigRaw: { compilerOptions: { target, experimentalDecorators, useDefineForClassFields, esModuleInterop } },
    });
    return { code, map };
  },
};
