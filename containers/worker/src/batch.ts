import {
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  BatchWriteItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type KeysAndAttributes,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';

/** DynamoDB's limits per request. */
export const MAX_WRITE_BATCH = 25;
export const MAX_GET_BATCH = 100;

export interface RetryOptions {
  /** Attempts at the unprocessed part of one batch before giving up. @default 10 */
  readonly maxAttempts?: number;
  /** First backoff; doubles each attempt, with full jitter, capped at 5 s. @default 50 ms */
  readonly baseDelayMs?: number;
}

export class UnprocessedItemsError extends Error {
  override readonly name = 'UnprocessedItemsError';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function backoff(attempt: number, options: RetryOptions): number {
  const cap = Math.min(5_000, (options.baseDelayMs ?? 50) * 2 ** attempt);
  return Math.random() * cap;
}

/**
 * Writes up to 25 items, retrying what DynamoDB returns unprocessed (throttling, partition limits)
 * with exponential backoff. The SDK's own retries cover errors of the whole request.
 */
export async function batchWrite(client: DynamoDBClient, tableName: string, items: Record<string, AttributeValue>[], options: RetryOptions = {}): Promise<void> {
  let requests: WriteRequest[] = items.map((Item) => ({ PutRequest: { Item } }));
  const maxAttempts = options.maxAttempts ?? 10;
  for (let attempt = 0; requests.length > 0; attempt += 1) {
    if (attempt >= maxAttempts) {
      throw new UnprocessedItemsError(`${requests.length} items still unprocessed after ${maxAttempts} attempts`);
    }
    if (attempt > 0) await sleep(backoff(attempt, options));
    const result = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
    requests = result.UnprocessedItems?.[tableName] ?? [];
  }
}

/** Reads up to 100 keys, retrying unprocessed keys like batchWrite. Missing items are simply absent. */
export async function batchGet(
  client: DynamoDBClient,
  tableName: string,
  keys: Record<string, AttributeValue>[],
  projection: { expression: string; names: Record<string, string> },
  options: RetryOptions = {},
): Promise<Record<string, AttributeValue>[]> {
  const found: Record<string, AttributeValue>[] = [];
  let pending: KeysAndAttributes | undefined = {
    Keys: keys,
    ProjectionExpression: projection.expression,
    ExpressionAttributeNames: projection.names,
  };
  const maxAttempts = options.maxAttempts ?? 10;
  for (let attempt = 0; pending?.Keys && pending.Keys.length > 0; attempt += 1) {
    if (attempt >= maxAttempts) {
      throw new UnprocessedItemsError(`${pending.Keys.length} keys still unprocessed after ${maxAttempts} attempts`);
    }
    if (attempt > 0) await sleep(backoff(attempt, options));
    const result: BatchGetItemCommandOutput = await client.send(new BatchGetItemCommand({ RequestItems: { [tableName]: pending } }));
    found.push(...(result.Responses?.[tableName] ?? []));
    pending = result.UnprocessedKeys?.[tableName];
  }
  return found;
}

/** Runs `task` on every item with at most `limit` running at once; rejects on the first failure. */
export async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      await task(item);
    }
  });
  await Promise.all(workers);
}

export function chunksOf<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
