import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ImportStatus, JobCounts, JobProblem } from '../domain/import-job';

/** The Fargate import job's checkpoint of one import, as the job writes it (containers/worker/src/checkpoints.ts). */
export interface ImportCheckpoint extends JobCounts {
  readonly importId: string;
  readonly status: ImportStatus;
  /** Why the last attempt failed (`<ErrorName>: <message>`), when it did. */
  readonly failure?: string;
}

/** Reads the checkpoints table, which only the Fargate import job writes. */
export class ImportCheckpointsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(importId: string): Promise<ImportCheckpoint | undefined> {
    // Consistent: the job's last write happens just before its task stops and the state moves on.
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { importId }, ConsistentRead: true }));
    const item = result.Item;
    if (item === undefined) return undefined;
    return {
      importId,
      status: (item.status ?? 'RUNNING') as ImportStatus,
      loaded: Number(item.loaded ?? 0),
      existing: Number(item.existing ?? 0),
      duplicates: Number(item.duplicates ?? 0),
      invalid: Number(item.invalid ?? 0),
      // The job stores its problem list as one JSON string.
      problems: typeof item.problems === 'string' ? (JSON.parse(item.problems) as JobProblem[]) : [],
      failure: typeof item.failure === 'string' ? item.failure : undefined,
    };
  }
}
