/**
 * Errors that end an import. Step Functions matches Retry and Catch on the error name, and tests
 * assert the name a failed execution ended with, so each class sets `name` explicitly (bundles
 * are minified: a class name does not survive).
 */

/** The file cannot be read as the format its name says: bad encoding, broken CSV quoting, no JSON at all, unknown columns. */
export class ImportFileUnreadableError extends Error {
  override readonly name = 'ImportFileUnreadableError';
}

/** The file was read, but not one record in it is a valid user. */
export class NoValidRecordsError extends Error {
  override readonly name = 'NoValidRecordsError';
}

/** The import's file name does not say which format it is (`.jsonl`, `.ndjson` or `.csv`). */
export class UnsupportedImportFormatError extends Error {
  override readonly name = 'UnsupportedImportFormatError';
}

/** DynamoDB kept returning unprocessed items of a batch write after its retries (bulk seeding only; imports write one conditional put per user). */
export class UnprocessedItemsError extends Error {
  override readonly name = 'UnprocessedItemsError';
}

/** The error names the state machine treats as transient and retries (with the Lambda service errors). */
export const TRANSIENT_IMPORT_ERRORS = [
  // The AWS SDK's names for DynamoDB and S3 throttling and server-side faults, thrown through the handlers.
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'SlowDown',
  'ServiceUnavailable',
] as const;

/** The Fargate job reported success, but its checkpoint does not say SUCCEEDED: its counts cannot be trusted. */
export class ImportCheckpointMissingError extends Error {
  override readonly name = 'ImportCheckpointMissingError';
}
