import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { activityDay, type ActivityCounter } from '../domain/activity';
import { recordCreatedObject, type FileOutcome } from '../domain/file-record';
import { InvalidMessageError, parseUploadMessage } from '../domain/upload-events';
import { lazy, optionalIntEnv } from '../shared/env';
import { logger } from '../shared/logger';
import { objectsStore } from '../shared/bucket-stores';
import { activityStore, filesStore } from '../shared/table-stores';

/** FILE_RECORD_RETENTION_DAYS: how long file records are kept (the files table expires them by TTL). */
const fileRecordRetentionDays = lazy(() => optionalIntEnv('FILE_RECORD_RETENTION_DAYS', { min: 1 }));

/**
 * What the invocation keeps for itself after the records' deadline: writing the daily activity
 * count and returning the batch response. A record still reading its object then is aborted and
 * reported alone as a batch item failure, instead of timing out the invocation and with it every
 * record of the batch (all of which SQS would then deliver again).
 */
const RESERVED_AFTER_RECORDS_MS = 2_000;

/** The records' deadline: the function's remaining time less what the invocation keeps for itself. */
function recordDeadline(context: Context): AbortSignal {
  return AbortSignal.timeout(Math.max(0, context.getRemainingTimeInMillis() - RESERVED_AFTER_RECORDS_MS));
}

interface RecordResult {
  readonly failed: boolean;
  /** Files this record newly wrote, counted even if another file of the same message failed. */
  readonly outcomes: readonly FileOutcome[];
}

/** Log keys that identify a record and its object, never its content. */
function recordKeys(record: SQSRecord): Record<string, unknown> {
  return { messageId: record.messageId, receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 0) };
}

async function processRecord(record: SQSRecord, deadline: AbortSignal): Promise<RecordResult> {
  const keys = recordKeys(record);
  let notification;
  try {
    notification = parseUploadMessage(record.body);
  } catch (error) {
    if (!(error instanceof InvalidMessageError)) throw error;
    // It will fail the same way every time: SQS retries it up to maxReceiveCount, then the DLQ keeps it.
    logger.error('Record is not an S3 event notification; it will end in the dead-letter queue', { ...keys, problem: error.message });
    return { failed: true, outcomes: [] };
  }
  if (notification.kind === 'test-event') {
    logger.info('Ignored the S3 test event', { ...keys, snsMessageId: notification.snsMessageId });
    return { failed: false, outcomes: [] };
  }

  const deps = {
    reader: objectsStore(),
    registry: filesStore(),
    now: () => new Date(),
    retentionDays: fileRecordRetentionDays(),
    signal: deadline,
  };
  const settled = await Promise.allSettled(
    notification.records.map(async (s3Record) => {
      if (s3Record.kind === 'other') {
        logger.info('Ignored an S3 event that is not an object creation', { ...keys, key: s3Record.key, eventName: s3Record.eventName });
        return undefined;
      }
      const { object } = s3Record;
      const objectKeys = {
        ...keys,
        snsMessageId: notification.snsMessageId,
        bucket: object.bucket,
        key: object.key,
        versionId: object.versionId,
      };
      try {
        const outcome = await recordCreatedObject(object, deps);
        if (outcome.kind === 'recorded') logger.info('File recorded', { ...objectKeys, size: outcome.record.size });
        else if (outcome.kind === 'missing') logger.warn('Object was gone before processing; recorded as missing', objectKeys);
        else if (outcome.kind === 'duplicate') logger.info('File already recorded; left unchanged', objectKeys);
        else logger.info('Ignored object', { ...objectKeys, reason: outcome.reason });
        return outcome;
      } catch (error) {
        logger.error('Could not record the file; SQS will deliver it again', { ...objectKeys, error: error as Error });
        throw error;
      }
    }),
  );
  const outcomes = settled.flatMap((result) => (result.status === 'fulfilled' && result.value ? [result.value] : []));
  return { failed: settled.some((result) => result.status === 'rejected'), outcomes };
}

/**
 * Adds the batch's new files to the daily activity: one update per counter and day instead of one
 * per file. Only first writes count (a duplicate never does), so a redelivery cannot count twice.
 */
async function countActivity(outcomes: readonly FileOutcome[]): Promise<void> {
  const totals = new Map<string, { counter: ActivityCounter; at: Date; amount: number }>();
  for (const outcome of outcomes) {
    if (outcome.kind !== 'recorded' && outcome.kind !== 'missing') continue;
    const counter: ActivityCounter = outcome.kind === 'recorded' ? 'filesProcessed' : 'filesFailed';
    const at = new Date(outcome.record.processedAt);
    const id = `${counter}#${activityDay(at)}`;
    const total = totals.get(id) ?? { counter, at, amount: 0 };
    totals.set(id, { ...total, amount: total.amount + 1 });
  }
  await Promise.all(
    [...totals.values()].map(({ counter, at, amount }) =>
      activityStore()
        .add(counter, at, amount)
        // The files are recorded; a failed count must not make SQS deliver them again.
        .catch((error: unknown) => logger.warn('Could not count files in the daily activity', { counter, amount, error: error as Error })),
    ),
  );
}

/**
 * Consumes the files queue: records each uploaded file once in the files table. Returns the
 * records that failed as partial batch failures, so one bad record never fails its batch-mates.
 *
 * Its own loop rather than sqsBatchHandler (lambda/shared/sqs.ts): the records run concurrently
 * under one deadline, and the batch's new files are counted in one activity update per counter
 * after all records, including files written by a record that then failed on another file.
 */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  logger.addContext(context);
  const deadline = recordDeadline(context);
  const results = await Promise.all(
    event.Records.map(async (record) => {
      try {
        return await processRecord(record, deadline);
      } catch (error) {
        logger.error('Unexpected error processing a record; SQS will deliver it again', { ...recordKeys(record), error: error as Error });
        return { failed: true, outcomes: [] } satisfies RecordResult;
      }
    }),
  );
  await countActivity(results.flatMap((result) => result.outcomes));
  const batchItemFailures: SQSBatchItemFailure[] = event.Records.flatMap((record, index) =>
    results[index].failed ? [{ itemIdentifier: record.messageId }] : [],
  );
  return { batchItemFailures };
}
