/**
 * Daily activity counters, read by the daily report. Each writer adds to the counter of the UTC
 * day an event happened, so the report reads one item per day instead of scanning tables.
 */
export const ACTIVITY_COUNTERS = ['usersCreated', 'filesProcessed', 'filesFailed', 'importsSucceeded', 'importsFailed'] as const;
export type ActivityCounter = (typeof ACTIVITY_COUNTERS)[number];

export type DailyActivity = Record<ActivityCounter, number>;

/** The UTC day of an instant, as `YYYY-MM-DD`: the key of that day's counters. */
export function activityDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** A day's counters with every counter present: a day with no activity reads as zeros. */
export function completeActivity(partial: Partial<Record<string, unknown>>): DailyActivity {
  return Object.fromEntries(
    ACTIVITY_COUNTERS.map((counter) => {
      const value = partial[counter];
      return [counter, typeof value === 'number' && Number.isFinite(value) ? value : 0];
    }),
  ) as DailyActivity;
}
