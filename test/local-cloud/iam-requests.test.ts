import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AwsHttpRequest, mapAwsRequest, MappedRequest, mappingNeedsBody } from '../../tools/local-cloud/iam/requests';
import { captureOne, CapturedRequest, startCaptureServer } from './support/capture-server';

const ENV = { account: '111122223333', region: 'eu-west-1' };
const TABLE = 'arn:aws:dynamodb:eu-west-1:111122223333:table/things';
const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };

let server: Awaited<ReturnType<typeof startCaptureServer>>;
let clientConfig: { endpoint: string; region: string; credentials: typeof credentials; maxAttempts: number };

beforeAll(async () => {
  server = await startCaptureServer();
  clientConfig = { endpoint: server.endpoint, region: ENV.region, credentials, maxAttempts: 1 };
});
afterAll(() => server.close());

function map(captured: CapturedRequest, service: string, env = ENV): MappedRequest {
  return mapAwsRequest({ ...captured, service }, env);
}

function requestsOf(result: MappedRequest) {
  if (!result.ok) throw new Error(`expected a mapping, got a refusal: ${result.reason}`);
  return result.requests.map(({ action, resource }) => ({ action, resource }));
}

describe('DynamoDB requests from the real SDK', () => {
  const dynamo = () => new DynamoDBClient(clientConfig);

  it('maps item operations to the table ARN', async () => {
    const put = await captureOne(server, () => dynamo().send(new PutItemCommand({ TableName: 'things', Item: { id: { S: 'a' } } })));
    expect(map(put, 'dynamodb')).toMatchObject({
      ok: true,
      operation: 'PutItem',
      requests: [{ action: 'dynamodb:PutItem', resource: TABLE }],
    });
    const get = await captureOne(server, () => dynamo().send(new GetItemCommand({ TableName: 'things', Key: { id: { S: 'a' } } })));
    expect(requestsOf(map(get, 'dynamodb'))).toEqual([{ action: 'dynamodb:GetItem', resource: TABLE }]);
  });

  it('maps Query and Scan on an index to the /index/<name> ARN', async () => {
    const query = await captureOne(server, () =>
      dynamo().send(
        new QueryCommand({
          TableName: 'things',
          IndexName: 'by-owner',
          KeyConditionExpression: '#o = :o',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':o': { S: 'user-1' } },
        }),
      ),
    );
    expect(requestsOf(map(query, 'dynamodb'))).toEqual([{ action: 'dynamodb:Query', resource: `${TABLE}/index/by-owner` }]);
    const scan = await captureOne(server, () => dynamo().send(new ScanCommand({ TableName: 'things' })));
    expect(requestsOf(map(scan, 'dynamodb'))).toEqual([{ action: 'dynamodb:Scan', resource: TABLE }]);
  });

  it('sets dynamodb:LeadingKeys when the table partition key is known', async () => {
    const env = { ...ENV, hashKeyOf: (arn: string) => (arn === TABLE ? 'pk' : undefined) };
    const put = await captureOne(server, () =>
      dynamo().send(new PutItemCommand({ TableName: 'things', Item: { pk: { S: 'user-7' }, sk: { S: 'x' } } })),
    );
    expect(map(put, 'dynamodb', env)).toMatchObject({ ok: true, requests: [{ context: { 'dynamodb:LeadingKeys': ['user-7'] } }] });
    const query = await captureOne(server, () =>
      dynamo().send(
        new QueryCommand({
          TableName: 'things',
          KeyConditionExpression: '#p = :p AND begins_with(sk, :s)',
          ExpressionAttributeNames: { '#p': 'pk' },
          ExpressionAttributeValues: { ':p': { S: 'user-8' }, ':s': { S: 'a' } },
        }),
      ),
    );
    expect(map(query, 'dynamodb', env)).toMatchObject({ ok: true, requests: [{ context: { 'dynamodb:LeadingKeys': ['user-8'] } }] });
    expect(map(put, 'dynamodb')).toMatchObject({ ok: true, requests: [{ context: {} }] });
  });

  it('maps batch operations to one entry per table', async () => {
    const batchGet = await captureOne(server, () =>
      dynamo().send(
        new BatchGetItemCommand({ RequestItems: { things: { Keys: [{ id: { S: 'a' } }] }, other: { Keys: [{ id: { S: 'b' } }] } } }),
      ),
    );
    expect(requestsOf(map(batchGet, 'dynamodb'))).toEqual([
      { action: 'dynamodb:BatchGetItem', resource: TABLE },
      { action: 'dynamodb:BatchGetItem', resource: 'arn:aws:dynamodb:eu-west-1:111122223333:table/other' },
    ]);
    const batchWrite = await captureOne(server, () =>
      dynamo().send(new BatchWriteItemCommand({ RequestItems: { things: [{ PutRequest: { Item: { id: { S: 'a' } } } }] } })),
    );
    expect(requestsOf(map(batchWrite, 'dynamodb'))).toEqual([{ action: 'dynamodb:BatchWriteItem', resource: TABLE }]);
  });

  it('authorizes each transaction item against its single-item action', async () => {
    const transact = await captureOne(server, () =>
      dynamo().send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: 'things', Item: { id: { S: 'a' } } } },
            {
              Update: {
                TableName: 'other',
                Key: { id: { S: 'b' } },
                UpdateExpression: 'SET x = :x',
                ExpressionAttributeValues: { ':x': { N: '1' } },
              },
            },
            { Delete: { TableName: 'things', Key: { id: { S: 'c' } } } },
            { ConditionCheck: { TableName: 'things', Key: { id: { S: 'd' } }, ConditionExpression: 'attribute_exists(id)' } },
          ],
        }),
      ),
    );
    expect(requestsOf(map(transact, 'dynamodb'))).toEqual([
      { action: 'dynamodb:PutItem', resource: TABLE },
      { action: 'dynamodb:UpdateItem', resource: 'arn:aws:dynamodb:eu-west-1:111122223333:table/other' },
      { action: 'dynamodb:DeleteItem', resource: TABLE },
      { action: 'dynamodb:ConditionCheckItem', resource: TABLE },
    ]);
  });

  it('refuses operations it does not know, with a reason', () => {
    const result = mapAwsRequest(
      {
        service: 'dynamodb',
        method: 'POST',
        path: '/',
        query: new URLSearchParams(),
        headers: { 'x-amz-target': 'DynamoDB_20120810.ExecuteStatement' },
        body: Buffer.from('{"Statement":"SELECT * FROM things"}'),
      },
      ENV,
    );
    expect(result).toEqual({
      ok: false,
      operation: 'ExecuteStatement',
      reason: expect.stringContaining('ExecuteStatement is not mapped to IAM actions locally'),
    });
  });
});

describe('S3 requests from the real SDK (path-style)', () => {
  const s3 = () =>
    new S3Client({
      ...clientConfig,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });

  it('maps GetObject, and GetObjectVersion when a versionId is given, with decoded keys', async () => {
    const get = await captureOne(server, () => s3().send(new GetObjectCommand({ Bucket: 'some-bucket', Key: 'uploads/a file+1.txt' })));
    expect(requestsOf(map(get, 's3'))).toEqual([{ action: 's3:GetObject', resource: 'arn:aws:s3:::some-bucket/uploads/a file+1.txt' }]);
    const version = await captureOne(server, () => s3().send(new GetObjectCommand({ Bucket: 'some-bucket', Key: 'k', VersionId: 'v1' })));
    expect(requestsOf(map(version, 's3'))).toEqual([{ action: 's3:GetObjectVersion', resource: 'arn:aws:s3:::some-bucket/k' }]);
  });

  it('maps HeadObject to s3:GetObject', async () => {
    const head = await captureOne(server, () => s3().send(new HeadObjectCommand({ Bucket: 'some-bucket', Key: 'k' })));
    expect(map(head, 's3')).toMatchObject({
      ok: true,
      operation: 'HeadObject',
      requests: [{ action: 's3:GetObject', resource: 'arn:aws:s3:::some-bucket/k' }],
    });
  });

  it('maps ListObjectsV2 to s3:ListBucket on the bucket with s3:prefix in the context', async () => {
    const list = await captureOne(server, () => s3().send(new ListObjectsV2Command({ Bucket: 'some-bucket', Prefix: 'uploads/' })));
    expect(map(list, 's3')).toMatchObject({
      ok: true,
      operation: 'ListObjectsV2',
      requests: [{ action: 's3:ListBucket', resource: 'arn:aws:s3:::some-bucket', context: { 's3:prefix': 'uploads/' } }],
    });
  });

  it('maps PutObject and DeleteObject(Version), and never needs a streamed upload body', async () => {
    const put = await captureOne(server, () => s3().send(new PutObjectCommand({ Bucket: 'some-bucket', Key: 'k', Body: 'hello' })));
    expect(requestsOf(map(put, 's3'))).toEqual([{ action: 's3:PutObject', resource: 'arn:aws:s3:::some-bucket/k' }]);
    expect(mappingNeedsBody('s3', put.method, put.query)).toBe(false);
    const del = await captureOne(server, () => s3().send(new DeleteObjectCommand({ Bucket: 'some-bucket', Key: 'k' })));
    expect(requestsOf(map(del, 's3'))).toEqual([{ action: 's3:DeleteObject', resource: 'arn:aws:s3:::some-bucket/k' }]);
    const delVersion = await captureOne(server, () =>
      s3().send(new DeleteObjectCommand({ Bucket: 'some-bucket', Key: 'k', VersionId: 'v' })),
    );
    expect(requestsOf(map(delVersion, 's3'))).toEqual([{ action: 's3:DeleteObjectVersion', resource: 'arn:aws:s3:::some-bucket/k' }]);
  });

  it('maps CopyObject to a write of the target and a read of the source', async () => {
    const copy = await captureOne(server, () =>
      s3().send(
        new CopyObjectCommand({ Bucket: 'target-bucket', Key: 'to/b.txt', CopySource: 'source-bucket/from/a%20b.txt?versionId=v2' }),
      ),
    );
    expect(requestsOf(map(copy, 's3'))).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::target-bucket/to/b.txt' },
      { action: 's3:GetObjectVersion', resource: 'arn:aws:s3:::source-bucket/from/a b.txt' },
    ]);
  });

  it('maps multipart uploads to s3:PutObject', async () => {
    const create = await captureOne(server, () => s3().send(new CreateMultipartUploadCommand({ Bucket: 'some-bucket', Key: 'big' })));
    expect(map(create, 's3')).toMatchObject({ ok: true, operation: 'CreateMultipartUpload', requests: [{ action: 's3:PutObject' }] });
    const part = await captureOne(server, () =>
      s3().send(new UploadPartCommand({ Bucket: 'some-bucket', Key: 'big', UploadId: 'u', PartNumber: 1, Body: 'x' })),
    );
    expect(map(part, 's3')).toMatchObject({
      ok: true,
      operation: 'UploadPart',
      requests: [{ action: 's3:PutObject', resource: 'arn:aws:s3:::some-bucket/big' }],
    });
  });

  it('maps DeleteObjects to one delete per object (and needs its body)', async () => {
    const batch = await captureOne(server, () =>
      s3().send(new DeleteObjectsCommand({ Bucket: 'some-bucket', Delete: { Objects: [{ Key: 'a&b' }, { Key: 'c', VersionId: 'v' }] } })),
    );
    expect(mappingNeedsBody('s3', batch.method, batch.query)).toBe(true);
    expect(requestsOf(map(batch, 's3'))).toEqual([
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::some-bucket/a&b' },
      { action: 's3:DeleteObjectVersion', resource: 'arn:aws:s3:::some-bucket/c' },
    ]);
  });

  it('refuses an unknown bucket subresource', () => {
    const result = mapAwsRequest(
      { service: 's3', method: 'GET', path: '/some-bucket', query: new URLSearchParams('replication='), headers: {} },
      ENV,
    );
    expect(result.ok).toBe(false);
  });
});

describe('SQS, SNS and Step Functions requests from the real SDK', () => {
  const queueUrl = 'http://127.0.0.1:4566/000000000000/jobs-queue';
  const queueArn = 'arn:aws:sqs:eu-west-1:111122223333:jobs-queue';

  it('maps SQS JSON-protocol calls to the queue ARN, batches to their single action', async () => {
    const sqs = new SQSClient(clientConfig);
    const send = await captureOne(server, () => sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' })));
    expect(send.headers['x-amz-target']).toBe('AmazonSQS.SendMessage');
    expect(requestsOf(map(send, 'sqs'))).toEqual([{ action: 'sqs:SendMessage', resource: queueArn }]);
    const receive = await captureOne(server, () => sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl })));
    expect(requestsOf(map(receive, 'sqs'))).toEqual([{ action: 'sqs:ReceiveMessage', resource: queueArn }]);
    const deleteBatch = await captureOne(server, () =>
      sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: '1', ReceiptHandle: 'r' }] })),
    );
    expect(requestsOf(map(deleteBatch, 'sqs'))).toEqual([{ action: 'sqs:DeleteMessage', resource: queueArn }]);
  });

  it('maps the SQS query protocol too', () => {
    const body = Buffer.from(new URLSearchParams({ Action: 'SendMessage', QueueUrl: queueUrl, MessageBody: 'x' }).toString());
    const result = mapAwsRequest({ service: 'sqs', method: 'POST', path: '/', query: new URLSearchParams(), headers: {}, body }, ENV);
    expect(requestsOf(result)).toEqual([{ action: 'sqs:SendMessage', resource: queueArn }]);
  });

  it('maps SNS Publish to the topic ARN', async () => {
    const sns = new SNSClient(clientConfig);
    const topic = 'arn:aws:sns:eu-west-1:111122223333:events';
    const publish = await captureOne(server, () => sns.send(new PublishCommand({ TopicArn: topic, Message: 'x' })));
    expect(requestsOf(map(publish, 'sns'))).toEqual([{ action: 'sns:Publish', resource: topic }]);
  });

  it('maps StartExecution to the state machine and DescribeExecution to the execution', async () => {
    const sfn = new SFNClient(clientConfig);
    const machine = 'arn:aws:states:eu-west-1:111122223333:stateMachine:pipeline';
    const execution = 'arn:aws:states:eu-west-1:111122223333:execution:pipeline:run-1';
    const start = await captureOne(server, () => sfn.send(new StartExecutionCommand({ stateMachineArn: machine, input: '{}' })));
    expect(requestsOf(map(start, 'states'))).toEqual([{ action: 'states:StartExecution', resource: machine }]);
    const describe = await captureOne(server, () => sfn.send(new DescribeExecutionCommand({ executionArn: execution })));
    expect(requestsOf(map(describe, 'states'))).toEqual([{ action: 'states:DescribeExecution', resource: execution }]);
  });
});

describe('ECS, Lambda, EventBridge and Scheduler requests (wire format as documented)', () => {
  const json = (service: string, target: string, body: unknown): AwsHttpRequest => ({
    service,
    method: 'POST',
    path: '/',
    query: new URLSearchParams(),
    headers: { 'x-amz-target': target },
    body: Buffer.from(JSON.stringify(body)),
  });

  it('maps ECS RunTask to the task definition, with the cluster as context and role overrides as PassRole', () => {
    const result = mapAwsRequest(
      json('ecs', 'AmazonEC2ContainerServiceV20141113.RunTask', {
        cluster: 'work',
        taskDefinition: 'importer:3',
        overrides: { taskRoleArn: 'arn:aws:iam::111122223333:role/task' },
      }),
      ENV,
    );
    expect(result).toMatchObject({
      ok: true,
      requests: [
        {
          action: 'ecs:RunTask',
          resource: 'arn:aws:ecs:eu-west-1:111122223333:task-definition/importer:3',
          context: { 'ecs:cluster': 'arn:aws:ecs:eu-west-1:111122223333:cluster/work' },
        },
        { action: 'iam:PassRole', resource: 'arn:aws:iam::111122223333:role/task' },
      ],
    });
  });

  it('makes RunTask pass the task definition roles when the runner knows them', () => {
    const definition = 'arn:aws:ecs:eu-west-1:111122223333:task-definition/importer:3';
    const env = {
      ...ENV,
      passRolesOf: (arn: string) =>
        arn === definition ? ['arn:aws:iam::111122223333:role/task', 'arn:aws:iam::111122223333:role/exec'] : [],
    };
    const result = mapAwsRequest(
      json('ecs', 'AmazonEC2ContainerServiceV20141113.RunTask', { cluster: 'work', taskDefinition: definition }),
      env,
    );
    expect(requestsOf(result)).toEqual([
      { action: 'ecs:RunTask', resource: definition },
      { action: 'iam:PassRole', resource: 'arn:aws:iam::111122223333:role/task' },
      { action: 'iam:PassRole', resource: 'arn:aws:iam::111122223333:role/exec' },
    ]);
  });

  it('maps ECS DescribeTasks and StopTask to task ARNs', () => {
    const describe = mapAwsRequest(
      json('ecs', 'AmazonEC2ContainerServiceV20141113.DescribeTasks', { cluster: 'work', tasks: ['abc'] }),
      ENV,
    );
    expect(requestsOf(describe)).toEqual([{ action: 'ecs:DescribeTasks', resource: 'arn:aws:ecs:eu-west-1:111122223333:task/work/abc' }]);
    const stop = mapAwsRequest(
      json('ecs', 'AmazonEC2ContainerServiceV20141113.StopTask', {
        cluster: 'arn:aws:ecs:eu-west-1:111122223333:cluster/work',
        task: 'abc',
      }),
      ENV,
    );
    expect(requestsOf(stop)).toEqual([{ action: 'ecs:StopTask', resource: 'arn:aws:ecs:eu-west-1:111122223333:task/work/abc' }]);
  });

  it('maps Lambda Invoke by name, qualified name and ARN', () => {
    const invoke = (path: string, query = '') =>
      mapAwsRequest({ service: 'lambda', method: 'POST', path, query: new URLSearchParams(query), headers: {} }, ENV);
    expect(requestsOf(invoke('/2015-03-31/functions/worker/invocations'))).toEqual([
      { action: 'lambda:InvokeFunction', resource: 'arn:aws:lambda:eu-west-1:111122223333:function:worker' },
    ]);
    expect(requestsOf(invoke('/2015-03-31/functions/worker/invocations', 'Qualifier=live'))).toEqual([
      { action: 'lambda:InvokeFunction', resource: 'arn:aws:lambda:eu-west-1:111122223333:function:worker:live' },
    ]);
    expect(
      requestsOf(
        invoke(`/2015-03-31/functions/${encodeURIComponent('arn:aws:lambda:eu-west-1:111122223333:function:worker')}/invocations`),
      ),
    ).toEqual([{ action: 'lambda:InvokeFunction', resource: 'arn:aws:lambda:eu-west-1:111122223333:function:worker' }]);
  });

  it('maps PutEvents to each event bus with source and detail-type context', () => {
    const result = mapAwsRequest(
      json('events', 'AWSEvents.PutEvents', { Entries: [{ Source: 'app.jobs', DetailType: 'done', Detail: '{}' }] }),
      ENV,
    );
    expect(result).toMatchObject({
      ok: true,
      requests: [
        {
          action: 'events:PutEvents',
          resource: 'arn:aws:events:eu-west-1:111122223333:event-bus/default',
          context: { 'events:source': ['app.jobs'] },
        },
      ],
    });
  });

  it('maps Scheduler CreateSchedule to the schedule ARN and its target role to PassRole', () => {
    const result = mapAwsRequest(
      {
        service: 'scheduler',
        method: 'POST',
        path: '/schedules/nightly',
        query: new URLSearchParams(),
        headers: {},
        body: Buffer.from(JSON.stringify({ GroupName: 'jobs', Target: { RoleArn: 'arn:aws:iam::111122223333:role/sched', Arn: 'x' } })),
      },
      ENV,
    );
    expect(requestsOf(result)).toEqual([
      { action: 'scheduler:CreateSchedule', resource: 'arn:aws:scheduler:eu-west-1:111122223333:schedule/jobs/nightly' },
      { action: 'iam:PassRole', resource: 'arn:aws:iam::111122223333:role/sched' },
    ]);
  });

  it('refuses services it does not front and bodies it cannot read', () => {
    expect(mapAwsRequest({ service: 'kms', method: 'POST', path: '/', query: new URLSearchParams(), headers: {} }, ENV)).toMatchObject({
      ok: false,
    });
    const broken = mapAwsRequest({ ...json('dynamodb', 'DynamoDB_20120810.PutItem', {}), body: Buffer.from('{not json') }, ENV);
    expect(broken).toMatchObject({ ok: false, reason: expect.stringContaining('could not be read') });
  });
});
