// Bundles the worker into one file, dist/worker.js, with its dependencies (AWS SDK, zod, Powertools)
// and the shared domain and store code from lambda/domain and lambda/store. The Dockerfile runs this script in its build
// stage, and the tests and the benchmark run the same bundle, so what is tested is what ships.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const outfile = process.argv[2] ? path.resolve(process.argv[2]) : path.join(here, 'dist', 'worker.js');

await build({
  entryPoints: [path.join(here, 'src', 'worker.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  // Error classes set `name` explicitly, so minified names do not matter; keep them anyway for stack traces.
  keepNames: true,
  sourcemap: 'linked',
  mainFields: ['module', 'main'],
  legalComments: 'none',
  logLevel: 'warning',
});
