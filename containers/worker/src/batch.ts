import { BatchWriteItemCommand, type AttributeValue, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { UnprocessedItemsError } from '../../../lambda/domain/import-errors';

/**
 * Bulk writes for seeding the users table (the export benchmark and its tests). Imports never use
 * them: the import engine (lambda/domain/import-engine.ts) creates each user with a conditional
 * PutItem, so that no existing user is overwritten.
 */

/** DynamoDB's limit per BatchWriteItem request. */
export const MAX_WRITE_BATCH = 25;

export interface RetryOptions {
  /** Attempts at the unprocessed part of one batch before giving up. @default 10 */
  readonly maxAttempts?: number;
  /** First backoff; doubles each attempt, with full jitter, capped at 5 s. @default 50 ms */
  readonly baseDelayMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes up to 25 items, retrying what DynamoDB returns unprocessed with exponential backoff. */
export async function batchWrite(
  client: DynamoDBClient,
  tableName: string,
  items: Record<string, AttributeValue>[],
  options: RetryOptions = {},
): Promise<void> {
  let requests: WriteRequest[] = items.map((Item) => ({ PutRequest: { Item } }));
  const maxAttempts = options.maxAttempts ?? 10;
  for (let attempt = 0; requests.length > 0; attempt += 1) {
    if (attempt >= maxAttempts) {
      throw new UnprocessedItemsError(`${requests.length} items still unprocessed after ${maxAttempts} attempts`);
    }
    if (attempt > 0) await sleep(Math.random() * Math.min(5_000, (options.baseDelayMs ?? 50) * 2 ** attempt));
    const result = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
    requests = result.UnprocessedItems?.[tableName] ?? [];
  }
}

export function chunksOf<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
