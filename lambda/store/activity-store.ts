import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { activityDay, completeActivity, type ActivityCounter, type DailyActivity } from '../domain/activity';

/**
 * Daily counters in the activity table: one item per UTC day (`pk` = `DAY#YYYY-MM-DD`), one
 * number attribute per counter, added to atomically.
 *
 * Writers count an event once, after the write that makes it happen succeeded for the first time
 * (a conditional put), so a retried delivery does not count twice. A crash between that write and
 * the count can leave a counter one short; the report is a summary, not a ledger.
 */
export class ActivityStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async add(counter: ActivityCounter, at: Date, amount = 1): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `DAY#${activityDay(at)}` },
        UpdateExpression: 'ADD #counter :amount',
        ExpressionAttributeNames: { '#counter': counter },
        ExpressionAttributeValues: { ':amount': amount },
      }),
    );
  }

  /** One day's counters; zeros for a day with no activity. */
  async read(day: string): Promise<DailyActivity> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: `DAY#${day}` } }));
    return completeActivity(result.Item ?? {});
  }
}
