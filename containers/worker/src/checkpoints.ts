import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { JobCounts, JobProblem } from '../../../lambda/domain/import-job';

/**
 * What an import has done so far: the counts (shared with the record-outcome Lambda, which reads
 * them when the job has succeeded) and the line up to which they are final.
 */
export interface ImportProgress extends JobCounts {
  /** Every line up to and including this one is fully handled (loaded, or reported). */
  readonly lastLine: number;
  /** The first problems found (at most MAX_REPORTED_PROBLEMS), for the people who fix the file. */
  readonly problems: readonly ReportedProblem[];
}

export type ReportedProblem = JobProblem;

export type ImportStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface Checkpoint extends ImportProgress {
  readonly importId: string;
  readonly status: ImportStatus;
}

/** Keeps a checkpoint item small (DynamoDB items stop at 400 KB). Every problem is also logged. */
export const MAX_REPORTED_PROBLEMS = 100;

export const EMPTY_PROGRESS: ImportProgress = { lastLine: 0, loaded: 0, existing: 0, duplicates: 0, invalid: 0, problems: [] };

export class StaleCheckpointError extends Error {
  override readonly name = 'StaleCheckpointError';
}

/**
 * One item per import in the checkpoints table, keyed by `importId`. A save only moves forward:
 * a task that finds a later checkpoint than its own has been overtaken (two tasks for one import)
 * and stops rather than report stale counts.
 */
export class CheckpointStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async get(importId: string): Promise<Checkpoint | undefined> {
    const result = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { importId: { S: importId } }, ConsistentRead: true }),
    );
    const item = result.Item;
    if (item === undefined) return undefined;
    return {
      importId,
      status: (item.status?.S ?? 'RUNNING') as ImportStatus,
      lastLine: Number(item.lastLine?.N ?? 0),
      loaded: Number(item.loaded?.N ?? 0),
      existing: Number(item.existing?.N ?? 0),
      duplicates: Number(item.duplicates?.N ?? 0),
      invalid: Number(item.invalid?.N ?? 0),
      problems: item.problems?.S ? (JSON.parse(item.problems.S) as ReportedProblem[]) : [],
    };
  }

  async save(importId: string, status: ImportStatus, progress: ImportProgress, source: { bucket: string; key: string }): Promise<void> {
    const item: Record<string, AttributeValue> = {
      importId: { S: importId },
      status: { S: status },
      bucket: { S: source.bucket },
      key: { S: source.key },
      lastLine: { N: String(progress.lastLine) },
      loaded: { N: String(progress.loaded) },
      existing: { N: String(progress.existing) },
      duplicates: { N: String(progress.duplicates) },
      invalid: { N: String(progress.invalid) },
      problems: { S: JSON.stringify(progress.problems) },
      updatedAt: { S: new Date().toISOString() },
    };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(lastLine) OR lastLine <= :line',
          ExpressionAttributeValues: { ':line': { N: String(progress.lastLine) } },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new StaleCheckpointError(`Import ${importId} has a later checkpoint than line ${progress.lastLine}: another task is running it`);
      }
      throw error;
    }
  }

  /** Marks the import failed, keeping its progress, so the next attempt resumes from it. */
  async markFailed(importId: string, reason: string): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { importId: { S: importId } },
        UpdateExpression: 'SET #status = :failed, failure = :reason, updatedAt = :now',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':failed': { S: 'FAILED' },
          ':reason': { S: reason.slice(0, 1000) },
          ':now': { S: new Date().toISOString() },
        },
      }),
    );
  }
}
