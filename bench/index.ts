import { runContainersBench } from './containers';
import { benchImportLoad } from './import-load';
import { benchLocalCloud } from './local-cloud';
import { benchUploads } from './uploads';

/**
 * `npm run bench`: every benchmark, one after another. Not part of the test suite. Each benchmark
 * starts its own local engines and prints its own figures; add yours to the list.
 */
const benchmarks: [string, () => Promise<void>][] = [
  ['uploads', benchUploads],
  ['local-cloud', benchLocalCloud],
  [
    'import-load',
    async () => {
      await benchImportLoad();
    },
  ],
  [
    'containers',
    async () => {
      await runContainersBench();
    },
  ],
];

async function main(): Promise<void> {
  const only = process.argv[2];
  for (const [name, run] of benchmarks) {
    if (only === undefined || only === name) await run();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
