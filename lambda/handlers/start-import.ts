import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { S3Event, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { IMPORTS_PREFIX, importIdFor, type ImportExecutionInput } from '../domain/import-job';
import { sfnClient } from '../shared/clients/sfn';
import { requireEnv } from '../shared/env';
import { logger } from '../shared/logger';
import { importsStore } from '../shared/table-stores';

/** The S3 notification inside an SQS message, whether SNS wrapped it (the default) or delivered it raw. */
function s3EventOf(body: string): Partial<S3Event> {
  const parsed = JSON.parse(body) as { Type?: string; Message?: string } & Partial<S3Event>;
  return parsed.Type === 'Notification' && typeof parsed.Message === 'string' ? (JSON.parse(parsed.Message) as Partial<S3Event>) : parsed;
}

/** S3 event keys are URL-encoded, with `+` for a space. */
function decodeKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/**
 * Consumes the imports queue: starts one import execution per new object version under
 * `imports/`. The execution name is derived from the key and version, so a duplicate event
 * finds the execution already there (ExecutionAlreadyExists), which is success. Messages that
 * fail are returned as batch item failures and retried by SQS, then sent to the DLQ.
 */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const stateMachineArn = requireEnv('IMPORT_STATE_MACHINE_ARN');
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];

  for (const message of event.Records) {
    try {
      const s3Event = s3EventOf(message.body);
      // S3 sends an s3:TestEvent (no Records) when the notification is configured: nothing to import.
      for (const record of s3Event.Records ?? []) {
        if (!record.eventName.startsWith('ObjectCreated:')) continue;
        const key = decodeKey(record.s3.object.key);
        if (!key.startsWith(IMPORTS_PREFIX) || key.endsWith('/')) continue;
        const version = record.s3.object.versionId ?? record.s3.object.sequencer;
        const input: ImportExecutionInput = {
          importId: importIdFor(key, version),
          bucket: record.s3.bucket.name,
          key,
          ...(record.s3.object.versionId === undefined ? {} : { versionId: record.s3.object.versionId }),
          submittedAt: record.eventTime,
        };
        await importsStore().register(input);
        try {
          await sfnClient().send(new StartExecutionCommand({ stateMachineArn, name: input.importId, input: JSON.stringify(input) }));
          logger.info('Import started', { importId: input.importId, key });
        } catch (error) {
          if (!(error instanceof ExecutionAlreadyExists)) throw error;
          logger.info('Import already started: duplicate event ignored', { importId: input.importId, key });
        }
      }
    } catch (error) {
      logger.error('Could not start the import of a message', { messageId: message.messageId, error: error as Error });
      batchItemFailures.push({ itemIdentifier: message.messageId });
    }
  }
  return { batchItemFailures };
};
