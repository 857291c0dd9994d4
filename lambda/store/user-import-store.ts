import { ConditionalCheckFailedException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CreateOutcome, ExistingUser, ImportedUser, ImportUserWriter } from '../domain/import-engine';

/**
 * The users table as the import engine writes it: one conditional PutItem per user, so an import
 * never overwrites a user, whoever created it and whenever. DynamoDB bills a conditional PutItem
 * the same write units as an item in a BatchWriteItem; the engine runs many at once to keep the
 * request count from costing time. Throttling is retried by the SDK; what is left is thrown and
 * the attempt resumes from its checkpoint.
 */
export class UserImportStore implements ImportUserWriter {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async createIfAbsent(user: ImportedUser): Promise<CreateOutcome> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...user },
          ConditionExpression: 'attribute_not_exists(id)',
          // DynamoDB returns the item that failed the condition: who owns the user, with no extra read.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { created: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const old = (error as ConditionalCheckFailedException & { Item?: Record<string, AttributeValue | string | number> }).Item;
      return { created: false, owner: old !== undefined ? ownerOf(old) : await this.owner(user.id) };
    }
  }

  /** Engines that do not return the item on a failed condition (dynalite) get it with a read. */
  private async owner(id: string): Promise<ExistingUser> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { id }, ProjectionExpression: 'importId, importLine', ConsistentRead: true }),
    );
    return { importId: result.Item?.importId as string | undefined, importLine: result.Item?.importLine as number | undefined };
  }
}

/** The owner from the item DynamoDB returns with the failed condition (raw attribute values; plain values accepted too). */
function ownerOf(item: Record<string, AttributeValue | string | number>): ExistingUser {
  const { importId, importLine } = item;
  const text = typeof importId === 'string' ? importId : (importId as AttributeValue | undefined)?.S;
  const line = typeof importLine === 'number' ? importLine : (importLine as AttributeValue | undefined)?.N;
  return { importId: text, importLine: line === undefined ? undefined : Number(line) };
}
