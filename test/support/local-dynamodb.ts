import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

/** A DynamoDB-compatible server (dynalite, in memory) on a free loopback port. */
export interface LocalDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  stop(): Promise<void>;
}

export async function startLocalDynamo(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    // The tests' own reads and set-up retry a dropped connection on a loaded machine, whatever
    // AWS_MAX_ATTEMPTS says for the code under test.
    maxAttempts: 5,
  });
  return {
    endpoint,
    client,
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface TableResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

let tableCounter = 0;

/**
 * Creates, in the local engine, the table a synthesized template declares under `logicalId`, with
 * the template's key schema, attributes and indexes: handlers are tested against the table the
 * CDK app deploys, not a hand-written copy. Returns the generated table name.
 */
export async function createTableFromTemplate(
  client: DynamoDBClient,
  template: { Resources: Record<string, TableResource> },
  logicalIdPrefix: string,
): Promise<string> {
  const matches = Object.entries(template.Resources).filter(
    ([id, resource]) => resource.Type === 'AWS::DynamoDB::Table' && id.startsWith(logicalIdPrefix),
  );
  if (matches.length !== 1) {
    throw new Error(`Expected one table whose logical ID starts with ${logicalIdPrefix}, found ${matches.length}`);
  }
  const properties = matches[0][1].Properties;
  tableCounter += 1;
  const tableName = `${logicalIdPrefix}-${process.pid}-${tableCounter}`;
  const input: CreateTableCommandInput = {
    TableName: tableName,
    KeySchema: properties.KeySchema as CreateTableCommandInput['KeySchema'],
    AttributeDefinitions: properties.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
    BillingMode: 'PAY_PER_REQUEST',
    ...(properties.GlobalSecondaryIndexes
      ? { GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'] }
      : {}),
  };
  await client.send(new CreateTableCommand(input));
  return tableName;
}
