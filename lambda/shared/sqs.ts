import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from './logger';

export type SqsRecordHandler = (record: SQSRecord, context?: Context) => Promise<void>;
/** Lambda always passes the context; tests may leave it out. */
export type SqsBatchHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/**
 * Wraps a queue consumer (an event source with `reportBatchItemFailures`, see AppFunction.consumeQueue):
 * handles each record in turn and reports the ones that threw as batch item failures, so SQS
 * retries only those and moves them to the queue's DLQ after maxReceiveCount. Every log line
 * written while a record is handled carries its message ID and receive count.
 *
 * Our own rather than Powertools' `processPartialResponse`: the same contract in twenty lines,
 * without a dependency (6 KB more in each minified consumer bundle, measured) or its processor object,
 * and records are handled in order, which a consumer may rely on.
 *
 * Used by start-import (the imports queue). process-upload (the files queue) keeps its own loop,
 * because it handles a batch's records concurrently under one deadline and counts their files in
 * one activity update per batch, which a per-record wrapper cannot do without an after-batch hook.
 */
export function sqsBatchHandler(handleRecord: SqsRecordHandler): SqsBatchHandler {
  return async (event, context) => {
    if (context) logger.addContext(context);
    const batchItemFailures: SQSBatchItemFailure[] = [];
    for (const record of event.Records) {
      const keys = { messageId: record.messageId, receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 0) };
      logger.appendKeys(keys);
      try {
        await handleRecord(record, context);
      } catch (error) {
        logger.error('Record failed; SQS will deliver it again, then move it to the dead-letter queue', { ...keys, error: error as Error });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      } finally {
        logger.removeKeys(['messageId', 'receiveCount']);
      }
    }
    logger.resetKeys();
    return { batchItemFailures };
  };
}
