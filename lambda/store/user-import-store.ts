import { BatchGetCommand, BatchWriteCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UnprocessedItemsError } from '../domain/import-errors';
import type { ExistingUser, ImportedUser } from '../domain/import-load';

/** DynamoDB's per-request limits. */
const BATCH_GET_MAX = 100;
const BATCH_WRITE_MAX = 25;

export interface BatchOptions {
  /** Attempts per batch before giving up with UnprocessedItemsError. @default 6 */
  readonly maxAttempts?: number;
  /** First backoff delay; doubles with each attempt, with full jitter. @default 50 */
  readonly baseDelayMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Bulk reads and writes of the users table for imports: BatchGetItem and BatchWriteItem with retries of what DynamoDB leaves unprocessed. */
export class UserImportStore {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: BatchOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 6;
    this.baseDelayMs = options.baseDelayMs ?? 50;
  }

  /** The users that already exist among `ids`, by ID (only the attributes a duplicate check needs). */
  async existing(ids: readonly string[]): Promise<Map<string, ExistingUser>> {
    const found = new Map<string, ExistingUser>();
    for (let start = 0; start < ids.length; start += BATCH_GET_MAX) {
      let keys: Record<string, unknown>[] | undefined = ids.slice(start, start + BATCH_GET_MAX).map((id) => ({ id }));
      for (let attempt = 1; keys !== undefined && keys.length > 0; attempt += 1) {
        if (attempt > this.maxAttempts) throw new UnprocessedItemsError(`${keys.length} user keys stayed unprocessed after ${this.maxAttempts} attempts`);
        if (attempt > 1) await this.backoff(attempt);
        const result: BatchGetCommandOutput = await this.client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: { Keys: keys, ProjectionExpression: 'id, importId, importLine', ConsistentRead: true },
            },
          }),
        );
        for (const item of result.Responses?.[this.tableName] ?? []) {
          found.set(item.id as string, { importId: item.importId as string | undefined, importLine: item.importLine as number | undefined });
        }
        keys = result.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return found;
  }

  /** Writes users in batches of 25, retrying unprocessed items with exponential backoff. */
  async putAll(users: readonly ImportedUser[]): Promise<void> {
    for (let start = 0; start < users.length; start += BATCH_WRITE_MAX) {
      let requests: { PutRequest: { Item: Record<string, unknown> } }[] | undefined = users
        .slice(start, start + BATCH_WRITE_MAX)
        .map((user) => ({ PutRequest: { Item: { ...user } } }));
      for (let attempt = 1; requests !== undefined && requests.length > 0; attempt += 1) {
        if (attempt > this.maxAttempts) throw new UnprocessedItemsError(`${requests.length} user writes stayed unprocessed after ${this.maxAttempts} attempts`);
        if (attempt > 1) await this.backoff(attempt);
        const result = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = result.UnprocessedItems?.[this.tableName] as typeof requests;
      }
    }
  }

  private backoff(attempt: number): Promise<void> {
    return sleep(Math.random() * this.baseDelayMs * 2 ** (attempt - 2));
  }
}
