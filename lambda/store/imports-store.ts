import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ImportExecutionInput, ImportStatus, LineProblem } from '../domain/import-job';

/** One import as the imports table holds it (`id` = the import ID = the execution name). */
export interface ImportItem {
  readonly id: string;
  readonly status: ImportStatus;
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly submittedAt: string;
  readonly finishedAt?: string;
  readonly validRecords?: number;
  readonly invalidRecords?: number;
  readonly loaded?: number;
  readonly duplicates?: number;
  readonly invalidSample?: readonly LineProblem[];
  readonly duplicateSample?: readonly LineProblem[];
  readonly error?: string;
  readonly errorMessage?: string;
  /** Epoch seconds: DynamoDB's TTL deletes finished imports' items after the retention period. */
  readonly expiresAt?: number;
}

export type ImportOutcome =
  | {
      readonly status: 'SUCCEEDED';
      readonly validRecords: number;
      readonly invalidRecords: number;
      readonly loaded: number;
      readonly duplicates: number;
      readonly invalidSample: readonly LineProblem[];
      readonly duplicateSample: readonly LineProblem[];
    }
  | { readonly status: 'FAILED'; readonly error: string; readonly errorMessage: string };

/** The imports table: what each import is doing, and how it ended. */
export class ImportsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Records a new import as RUNNING; an import already recorded (a duplicate event) is left as it is. */
  async register(input: ImportExecutionInput): Promise<boolean> {
    const item: ImportItem = {
      id: input.importId,
      status: 'RUNNING',
      bucket: input.bucket,
      key: input.key,
      versionId: input.versionId,
      submittedAt: input.submittedAt,
    };
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(id)' }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async get(id: string): Promise<ImportItem | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { id } }));
    return result.Item as ImportItem | undefined;
  }

  /**
   * Records how an import ended. Only the first call for an import changes it (a finished import
   * stays finished), and it says whether it did, so callers count each outcome exactly once.
   */
  async finish(id: string, outcome: ImportOutcome, at: Date, retentionDays: number): Promise<boolean> {
    const values: Record<string, unknown> = {
      ...outcome,
      finishedAt: at.toISOString(),
      expiresAt: Math.floor(at.getTime() / 1000) + retentionDays * 86_400,
    };
    const names = Object.keys(values);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { id },
          UpdateExpression: `SET ${names.map((name) => `#${name} = :${name}`).join(', ')}`,
          ConditionExpression: 'attribute_not_exists(#status) OR #status = :running',
          ExpressionAttributeNames: Object.fromEntries(names.map((name) => [`#${name}`, name])),
          ExpressionAttributeValues: { ...Object.fromEntries(names.map((name) => [`:${name}`, values[name]])), ':running': 'RUNNING' },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
