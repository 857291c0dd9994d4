import { startSharedSynthesis } from './synthesis-cache';

/**
 * The infra project's global setup: starts the shared synthesis of the app in the background
 * (unless the sources' synthesis is cached), so it overlaps the first test files instead of each
 * infra test file synthesizing the same app again.
 */
export default function infraGlobalSetup(): void {
  startSharedSynthesis();
}
