import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FileRecord, FileRegistry } from '../domain/file-record';

/** File records in the files table. It knows DynamoDB; it does not know S3 or SQS. */
export class FilesStore implements FileRegistry {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Puts the record only if no item has its key, so a redelivered event (SQS delivers at least
   * once, S3 may notify twice) leaves the first record exactly as it was. Keyed on the object
   * version, not the message ID: two messages about one version are still one file.
   */
  async recordOnce(record: FileRecord): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: record,
          ConditionExpression: 'attribute_not_exists(objectId)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
