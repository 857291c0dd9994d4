import { PublishCommand } from '@aws-sdk/client-sns';
import { buildDailyReport, dailyReportKey, reportDayOf, summaryOf, type DailyReport, type DailyReportInput } from '../domain/daily-report';
import { snsClient } from '../shared/clients/sns';
import { clock } from '../shared/clock';
import { requireEnv } from '../shared/env';
import { logger } from '../shared/logger';
import { uploadsBucket } from '../shared/bucket-stores';
import { scheduledJob } from '../shared/scheduled';
import { activityStore } from '../shared/table-stores';

export interface DailyReportResult {
  readonly day: string;
  readonly key: string;
  /** False when the day's report already existed: nothing was written or published again. */
  readonly created: boolean;
  readonly report: DailyReport;
}

/**
 * The daily report (EventBridge Scheduler, 09:00 in the configured time zone): reads the previous
 * day's counters (one item), writes `reports/daily/YYYY-MM-DD.json` and publishes a summary.
 * A day already reported is not reported again: a retry or a second run returns the stored report.
 */
export const handler = scheduledJob('daily-report', async (input: DailyReportInput | undefined): Promise<DailyReportResult> => {
  const day = reportDayOf(input ?? {}, clock.now());
  const key = dailyReportKey(day);
  const bucket = uploadsBucket();

  const stored = await bucket.getText(key);
  if (stored !== undefined) {
    logger.info('Daily report already written', { day, key });
    return { day, key, created: false, report: JSON.parse(stored) as DailyReport };
  }

  const report = buildDailyReport(day, await activityStore().read(day));
  await bucket.putText(key, JSON.stringify(report, null, 2) + '\n', 'application/json');
  // Written before publishing: a crash in between loses one summary rather than sending two.
  await snsClient().send(
    new PublishCommand({ TopicArn: requireEnv('REPORTS_TOPIC_ARN'), Subject: `Daily report ${day}`, Message: summaryOf(report) }),
  );
  logger.info('Daily report written', { day, key });
  return { day, key, created: true, report };
});
