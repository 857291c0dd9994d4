import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { BUCKET_LAYOUT } from '../domain/bucket-layout';
import { importIdFor, type ImportExecutionInput } from '../domain/import-job';
import { parseUploadMessage, type CreatedObject } from '../domain/upload-events';
import { sfnClient } from '../shared/clients/sfn';
import { requireEnv } from '../shared/env';
import { logger } from '../shared/logger';
import { sqsBatchHandler } from '../shared/sqs';
import { importsStore } from '../shared/table-stores';

/**
 * What tells one upload of a key from another. The uploads bucket is versioned, so it is the
 * version ID. Were it not, the event time (with the ETag) would do: a duplicate delivery of one
 * event carries the same, a new upload of the same key does not.
 */
function versionOf(object: CreatedObject): string {
  return object.versioned ? object.versionId : `${object.eTag ?? ''}@${object.eventTime}`;
}

/**
 * Consumes the imports queue: starts one import execution per new object version under
 * `imports/`. The execution name is derived from the key and version, so a duplicate event
 * finds the execution already there (ExecutionAlreadyExists), which is success. A message that is
 * not an S3 event, or whose import cannot be started, is retried by SQS and then kept in the DLQ.
 */
export const handler = sqsBatchHandler(async (message) => {
  const stateMachineArn = requireEnv('IMPORT_STATE_MACHINE_ARN');
  const notification = parseUploadMessage(message.body);
  // S3 sends an s3:TestEvent when the notification is configured: nothing to import.
  if (notification.kind === 'test-event') return;
  for (const record of notification.records) {
    if (record.kind !== 'object-created') continue;
    const { object } = record;
    if (!object.key.startsWith(BUCKET_LAYOUT.imports) || object.key.endsWith('/')) continue;
    const input: ImportExecutionInput = {
      importId: importIdFor(object.key, versionOf(object)),
      bucket: object.bucket,
      key: object.key,
      ...(object.versioned ? { versionId: object.versionId } : {}),
      submittedAt: object.eventTime,
    };
    await importsStore().register(input);
    try {
      await sfnClient().send(new StartExecutionCommand({ stateMachineArn, name: input.importId, input: JSON.stringify(input) }));
      logger.info('Import started', { importId: input.importId, key: object.key });
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
      logger.info('Import already started: duplicate event ignored', { importId: input.importId, key: object.key });
    }
  }
});
