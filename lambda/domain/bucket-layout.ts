/**
 * The uploads bucket's key layout: every prefix the platform reads, writes, grants or filters on,
 * in one place. Handlers build keys from it and lib/ builds IAM key patterns and notification
 * filters from it, so a function's grant and the keys its code uses cannot drift apart. Pure.
 *
 *   incoming/                       files users upload; recorded by process-upload
 *   imports/                        bulk import files; each new version starts an import
 *   import-runs/<importId>/...      the import pipeline's working chunks and reports
 *   reports/daily/<YYYY-MM-DD>.json the daily report
 *   jobs/weekly-cleanup/...         the weekly cleanup's checkpoint
 */
export const BUCKET_LAYOUT = {
  incoming: 'incoming/',
  imports: 'imports/',
  importRuns: 'import-runs/',
  dailyReports: 'reports/daily/',
  weeklyCleanup: 'jobs/weekly-cleanup/',
} as const;

export type BucketArea = keyof typeof BUCKET_LAYOUT;

/** The IAM key pattern for every object of an area (for example `imports/*`). */
export function keysUnder(area: BucketArea): string {
  return `${BUCKET_LAYOUT[area]}*`;
}

/** The area a key belongs to, if any: how a consumer tells what an event is about. */
export function areaOf(key: string): BucketArea | undefined {
  return (Object.keys(BUCKET_LAYOUT) as BucketArea[]).find(
    (area) => key.startsWith(BUCKET_LAYOUT[area]) && key.length > BUCKET_LAYOUT[area].length,
  );
}
