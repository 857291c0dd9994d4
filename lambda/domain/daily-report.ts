import { BUCKET_LAYOUT } from './bucket-layout';
import { ValidationError } from './errors';
import type { DailyActivity } from './activity';

export interface DailyReport {
  /** The UTC day reported, `YYYY-MM-DD`. */
  readonly day: string;
  readonly usersCreated: number;
  readonly files: { readonly processed: number; readonly failed: number };
  readonly imports: { readonly succeeded: number; readonly failed: number };
}

/** What the scheduler sends (ScheduleTargetInput with `<aws.scheduler.scheduled-time>`); `day` re-runs a given day by hand. */
export interface DailyReportInput {
  readonly scheduledTime?: string;
  readonly day?: string;
}

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The day a run reports: the given `day`, or the UTC day before the scheduled time. Counters are
 * kept per UTC day, so the report at 09:00 local time covers the whole previous UTC day.
 */
export function reportDayOf(input: DailyReportInput, now: Date): string {
  if (input.day !== undefined) {
    if (!DAY_PATTERN.test(input.day) || Number.isNaN(Date.parse(`${input.day}T00:00:00Z`))) {
      throw new ValidationError('Invalid report input', [{ path: 'day', message: 'must be a day as YYYY-MM-DD' }]);
    }
    return input.day;
  }
  const scheduled = input.scheduledTime === undefined ? now : new Date(input.scheduledTime);
  if (Number.isNaN(scheduled.getTime())) {
    throw new ValidationError('Invalid report input', [{ path: 'scheduledTime', message: 'must be an ISO 8601 time' }]);
  }
  return new Date(scheduled.getTime() - 86_400_000).toISOString().slice(0, 10);
}

export function dailyReportKey(day: string): string {
  // One object per reported day, so re-running a day finds its report.
  return `${BUCKET_LAYOUT.dailyReports}${day}.json`;
}

/** The report of one day, from that day's counters: no table is scanned. */
export function buildDailyReport(day: string, activity: DailyActivity): DailyReport {
  return {
    day,
    usersCreated: activity.usersCreated,
    files: { processed: activity.filesProcessed, failed: activity.filesFailed },
    imports: { succeeded: activity.importsSucceeded, failed: activity.importsFailed },
  };
}

/** The short text the reports topic carries. */
export function summaryOf(report: DailyReport): string {
  return (
    `Daily report for ${report.day}: ${report.usersCreated} users created; ` +
    `files ${report.files.processed} processed, ${report.files.failed} failed; ` +
    `imports ${report.imports.succeeded} succeeded, ${report.imports.failed} failed.`
  );
}
