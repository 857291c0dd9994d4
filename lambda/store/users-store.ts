import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../domain/errors';
import type { User, UserChanges } from '../domain/user';

/** The users table's key: one partition key, `id` (see StatefulStack). */
export const USERS_KEY_ATTRIBUTES = ['id'] as const;

export interface UsersPage {
  readonly users: User[];
  /** The key to resume after, when DynamoDB says there may be more. */
  readonly lastKey?: Record<string, string>;
}

/**
 * The user fields of an item. Items can carry bookkeeping of their own (an import stamps
 * `importId` and `importLine` on the users it creates), which is not part of a user.
 */
function userOf(item: Record<string, unknown>): User {
  const { id, name, email, phone, createdAt, updatedAt } = item as unknown as User;
  return { id, name, email, ...(phone === undefined ? {} : { phone }), createdAt, ...(updatedAt === undefined ? {} : { updatedAt }) };
}

/** Reads and writes user items. It knows DynamoDB; it does not know HTTP. */
export class UsersStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Stores a new user; a user with the same ID (so the same email) makes it a ConflictError. */
  async create(user: User): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: user,
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ConflictError(`A user with the email ${user.email} already exists`);
      }
      throw error;
    }
  }

  async get(id: string): Promise<User | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { id } }));
    return result.Item === undefined ? undefined : userOf(result.Item);
  }

  /**
   * Applies a change to an existing user in one conditional UpdateItem and returns the user as
   * stored after it; undefined when there is no such user (the condition keeps a change racing a
   * DELETE from bringing back a partial user). `phone: null` removes the phone.
   */
  async update(id: string, changes: UserChanges, now: Date): Promise<User | undefined> {
    const set = ['updatedAt = :updatedAt'];
    const remove: string[] = [];
    const values: Record<string, string> = { ':updatedAt': now.toISOString() };
    // `name` is a DynamoDB reserved word, hence the placeholder.
    const names: Record<string, string> = {};
    if (changes.name !== undefined) {
      set.push('#name = :name');
      names['#name'] = 'name';
      values[':name'] = changes.name;
    }
    if (changes.phone === null) remove.push('phone');
    else if (changes.phone !== undefined) {
      set.push('phone = :phone');
      values[':phone'] = changes.phone;
    }
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { id },
          UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression: 'attribute_exists(id)',
          ExpressionAttributeValues: values,
          ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return result.Attributes === undefined ? undefined : userOf(result.Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /** Deletes a user; false when there was none. */
  async delete(id: string): Promise<boolean> {
    try {
      await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { id }, ConditionExpression: 'attribute_exists(id)' }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** One page of users, at most `limit` of them, read with a bounded Scan (never the whole table at once). */
  async list(limit: number, startKey?: Record<string, string>): Promise<UsersPage> {
    const result = await this.client.send(new ScanCommand({ TableName: this.tableName, Limit: limit, ExclusiveStartKey: startKey }));
    const users = (result.Items ?? []).map(userOf);
    return result.LastEvaluatedKey ? { users, lastKey: result.LastEvaluatedKey as Record<string, string> } : { users };
  }
}
