import { CreateTableCommand, DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DUMMY_ACCOUNT } from 's3rver/lib/models/account';
import { AwsGateway, startAwsGateway } from '../../tools/local-cloud/iam/gateway';
import { LocalDynamo, startLocalDynamo } from '../support/local-dynamodb';
import { LocalS3, startLocalS3 } from '../support/local-s3';

/**
 * The gateway in front of the real local engines the runner uses: allowed calls must reach them
 * with the request intact (s3rver checks SigV4 signatures, so a rewritten Host or body would fail),
 * and denied calls must leave their data untouched.
 */
const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/handler-role`;
const credentials = { accessKeyId: 'AKIDHANDLER', secretAccessKey: 'handler-secret' };

let dynamo: LocalDynamo;
let s3: LocalS3;
let gateway: AwsGateway;
const denials: string[] = [];

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  s3 = await startLocalS3(['gateway-bucket']);
  DUMMY_ACCOUNT.createKeyPair(credentials.accessKeyId, credentials.secretAccessKey);
  await dynamo.client.send(
    new CreateTableCommand({
      TableName: 'records',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  gateway = await startAwsGateway({
    host: '127.0.0.1',
    port: 0,
    backends: { dynamodb: dynamo.endpoint, s3: s3.endpoint },
    principals: new Map([
      [
        credentials.accessKeyId,
        {
          name: 'HandlerFunction',
          roleArn: ROLE,
          statements: [
            {
              Effect: 'Allow',
              Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
              Resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/records`,
            },
            { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::gateway-bucket/*' },
          ],
        },
      ],
    ]),
    resourcePolicies: [],
    account: ACCOUNT,
    region: REGION,
    log: (line) => denials.push(line),
  });
});
afterAll(async () => {
  await gateway.close();
  await s3.stop();
  await dynamo.stop();
});

const clientConfig = () => ({ endpoint: gateway.url, region: REGION, credentials, maxAttempts: 1 });

it('passes granted DynamoDB calls to dynalite and refuses the rest without touching data', async () => {
  const client = new DynamoDBClient(clientConfig());
  await client.send(new PutItemCommand({ TableName: 'records', Item: { pk: { S: 'r1' }, value: { S: 'kept' } } }));
  const read = await client.send(new GetItemCommand({ TableName: 'records', Key: { pk: { S: 'r1' } } }));
  expect(read.Item?.value).toEqual({ S: 'kept' });
  await expect(client.send(new DeleteItemCommand({ TableName: 'records', Key: { pk: { S: 'r1' } } }))).rejects.toMatchObject({
    name: 'AccessDeniedException',
  });
  const after = await dynamo.client.send(new GetItemCommand({ TableName: 'records', Key: { pk: { S: 'r1' } } }));
  expect(after.Item?.value).toEqual({ S: 'kept' });
  expect(denials).toEqual([expect.stringContaining('ACCESS DENIED HandlerFunction dynamodb:DeleteItem')]);
});

it('passes granted S3 calls to s3rver with valid signatures and refuses the rest', async () => {
  const client = new S3Client({
    ...clientConfig(),
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const body = 'x'.repeat(256 * 1024);
  await client.send(new PutObjectCommand({ Bucket: 'gateway-bucket', Key: 'dir/file.txt', Body: body }));
  const read = await client.send(new GetObjectCommand({ Bucket: 'gateway-bucket', Key: 'dir/file.txt' }));
  expect(await read.Body?.transformToString()).toBe(body);
  await expect(client.send(new DeleteObjectCommand({ Bucket: 'gateway-bucket', Key: 'dir/file.txt' }))).rejects.toMatchObject({
    name: 'AccessDenied',
  });
  const still = await s3.client.send(new GetObjectCommand({ Bucket: 'gateway-bucket', Key: 'dir/file.txt' }));
  expect((await still.Body?.transformToString())?.length).toBe(body.length);
});
