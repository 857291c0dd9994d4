import { startSharedSynthesis } from './synthesis-cache';

/** The part of jest's global config read here. */
interface GlobalConfig {
  readonly testPathPatterns?: { readonly patterns?: readonly string[] };
}

/**
 * The infra project's global setup. On a run of the whole project or suite it starts the shared
 * synthesis of the app in the background (unless the sources' synthesis is cached), so it overlaps
 * the first test files. A run of chosen files leaves it to the first file that needs it: such a
 * run may need no synthesis at all (test/tools/pr-diff.test.ts, say).
 */
export default function infraGlobalSetup(globalConfig: GlobalConfig): void {
  const chosenFiles = (globalConfig.testPathPatterns?.patterns ?? []).length > 0;
  startSharedSynthesis({ inBackground: !chosenFiles });
}
