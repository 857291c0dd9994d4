import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ImportCheckpoint, ImportCheckpoints, ImportProgress } from '../domain/import-engine';
import type { ImportStatus, JobProblem } from '../domain/import-job';

export type { ImportCheckpoint } from '../domain/import-engine';

/** A checkpoint save that would move an import backwards: another attempt of the same import is ahead. */
export class StaleCheckpointError extends Error {
  override readonly name = 'StaleCheckpointError';
}

/**
 * The checkpoints table: one item per import, keyed by `importId`, written by the import engine
 * on both paths (the Load step and the Fargate worker) and read by record-outcome. A save only
 * moves forward: an attempt that finds a later checkpoint than its own has been overtaken and
 * stops rather than report stale counts.
 */
export class ImportCheckpointsStore implements ImportCheckpoints {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Where the import file is, kept on the item for whoever investigates it. */
    private readonly source: { readonly bucket?: string; readonly key?: string } = {},
  ) {}

  async get(importId: string): Promise<ImportCheckpoint | undefined> {
    // Consistent: an attempt's last write happens just before it ends and the next one starts.
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { importId }, ConsistentRead: true }));
    const item = result.Item;
    if (item === undefined) return undefined;
    return {
      importId,
      status: (item.status ?? 'RUNNING') as ImportStatus,
      lastLine: Number(item.lastLine ?? 0),
      loaded: Number(item.loaded ?? 0),
      existing: Number(item.existing ?? 0),
      duplicates: Number(item.duplicates ?? 0),
      invalid: Number(item.invalid ?? 0),
      // The problem list is stored as one JSON string (a list of maps costs more to write).
      problems: typeof item.problems === 'string' ? (JSON.parse(item.problems) as JobProblem[]) : [],
      failure: typeof item.failure === 'string' ? item.failure : undefined,
    };
  }

  async save(importId: string, status: ImportStatus, progress: ImportProgress): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            importId,
            status,
            ...(this.source.bucket === undefined ? {} : { bucket: this.source.bucket }),
            ...(this.source.key === undefined ? {} : { key: this.source.key }),
            lastLine: progress.lastLine,
            loaded: progress.loaded,
            existing: progress.existing,
            duplicates: progress.duplicates,
            invalid: progress.invalid,
            problems: JSON.stringify(progress.problems),
            updatedAt: new Date().toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(lastLine) OR lastLine <= :line',
          ExpressionAttributeValues: { ':line': progress.lastLine },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new StaleCheckpointError(
          `Import ${importId} has a later checkpoint than line ${progress.lastLine}: another attempt is running it`,
        );
      }
      throw error;
    }
  }

  /**
   * Marks the import failed, unless it already succeeded: an attempt overtaken by another (it meets
   * StaleCheckpointError) fails after the other one has finished, and its failure must not turn
   * the finished import into a failed one for record-outcome and GET /imports/{id}.
   */
  async markFailed(importId: string, reason: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { importId },
          UpdateExpression: 'SET #status = :failed, failure = :reason, updatedAt = :now',
          ConditionExpression: 'attribute_not_exists(#status) OR #status <> :succeeded',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':failed': 'FAILED',
            ':succeeded': 'SUCCEEDED',
            ':reason': reason.slice(0, 1000),
            ':now': new Date().toISOString(),
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return; // it succeeded: the success stands
      throw error;
    }
  }
}
