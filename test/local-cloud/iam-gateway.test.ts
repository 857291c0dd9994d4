import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, ExecuteStatementCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AwsGateway, AwsGatewayOptions, SOURCE_ARN_HEADER, startAwsGateway } from '../../tools/local-cloud/iam/gateway';
import type { PolicyStatement } from '../../tools/local-cloud/iam/types';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/writer-role`;
const TABLE = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/things`;
const BUCKET = 'arn:aws:s3:::some-bucket';
const SHARED_BUCKET = 'arn:aws:s3:::shared-bucket';
const QUEUE_URL = 'http://127.0.0.1:1/000000000000/jobs';
const QUEUE = `arn:aws:sqs:${REGION}:${ACCOUNT}:jobs`;
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:events`;
const MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:pipeline`;

const WRITER_KEY = 'AKIDWRITER';
const SNS_KEY = 'AKIDSNSSERVICE';

const writerStatements: PolicyStatement[] = [
  { Sid: 'TableWrite', Effect: 'Allow', Action: ['dynamodb:PutItem'], Resource: TABLE },
  { Sid: 'Objects', Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject'], Resource: `${BUCKET}/*` },
  { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: QUEUE },
  { Effect: 'Allow', Action: 'sns:Publish', Resource: `${TOPIC}-other` },
  { Effect: 'Allow', Action: 'states:StartExecution', Resource: MACHINE },
];

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A stand-in engine for every service: answers each call with a minimal success reply. */
async function startStubEngine(): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const target = String(req.headers['x-amz-target'] ?? '');
      if (target === 'AmazonSQS.SendMessage') {
        const { MessageBody } = JSON.parse(body.toString());
        const md5 = createHash('md5').update(MessageBody).digest('hex');
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        return res.end(JSON.stringify({ MessageId: 'm-1', MD5OfMessageBody: md5 }));
      }
      if (target.startsWith('AWSStepFunctions.')) {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        return res.end(JSON.stringify({ executionArn: `${MACHINE.replace('stateMachine', 'execution')}:run`, startDate: 1 }));
      }
      if (target.startsWith('DynamoDB_20120810.')) {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        return res.end('{}');
      }
      if (body.toString().includes('Action=Publish')) {
        res.writeHead(200, { 'content-type': 'text/xml' });
        return res.end('<PublishResponse><PublishResult><MessageId>m-2</MessageId></PublishResult></PublishResponse>');
      }
      if (req.method === 'GET' && req.url?.startsWith('/some-bucket/')) {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' });
        return res.end('hello');
      }
      res.writeHead(200, { etag: '"e"' });
      return res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let engine: Awaited<ReturnType<typeof startStubEngine>>;
let gateway: AwsGateway;
let logLines: string[];

beforeAll(async () => {
  engine = await startStubEngine();
  logLines = [];
  const options: AwsGatewayOptions = {
    host: '127.0.0.1',
    port: 0,
    backends: { dynamodb: engine.url, s3: engine.url, sqs: engine.url, sns: engine.url, states: engine.url },
    principals: new Map([
      [WRITER_KEY, { name: 'WriterFunction', roleArn: ROLE, statements: writerStatements }],
      [SNS_KEY, { name: 'sns-delivery', roleArn: 'sns.amazonaws.com', statements: [] }],
    ]),
    resourcePolicies: [
      {
        resourceArn: SHARED_BUCKET,
        statements: [{ Effect: 'Allow', Principal: { AWS: ROLE }, Action: 's3:ListBucket', Resource: SHARED_BUCKET }],
      },
      {
        resourceArn: QUEUE,
        statements: [
          {
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: QUEUE,
            Condition: { ArnEquals: { 'aws:SourceArn': TOPIC } },
          },
        ],
      },
      {
        resourceArn: BUCKET,
        statements: [
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Resource: [BUCKET, `${BUCKET}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      },
    ],
    account: ACCOUNT,
    region: REGION,
    log: (line) => logLines.push(line),
  };
  gateway = await startAwsGateway(options);
});
afterAll(async () => {
  await gateway.close();
  await engine.close();
});
beforeEach(() => {
  engine.seen.length = 0;
  logLines.length = 0;
});

const config = (accessKeyId = WRITER_KEY) => ({
  endpoint: gateway.url,
  region: REGION,
  credentials: { accessKeyId, secretAccessKey: 'local-secret' },
  maxAttempts: 1,
});
const s3 = (accessKeyId = WRITER_KEY) =>
  new S3Client({
    ...config(accessKeyId),
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

async function failure(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number }; Code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('AWS gateway: DynamoDB', () => {
  it('forwards an allowed call to the engine with its signature intact', async () => {
    await new DynamoDBClient(config()).send(new PutItemCommand({ TableName: 'things', Item: { id: { S: 'a' } } }));
    expect(engine.seen).toHaveLength(1);
    expect(engine.seen[0].headers['x-amz-target']).toBe('DynamoDB_20120810.PutItem');
    expect(String(engine.seen[0].headers.authorization)).toContain(`Credential=${WRITER_KEY}/`);
    expect(logLines).toEqual([]);
  });

  it('refuses a call the role was not granted with AccessDeniedException, and logs it loudly', async () => {
    const error = await failure(new DynamoDBClient(config()).send(new GetItemCommand({ TableName: 'things', Key: { id: { S: 'a' } } })));
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toContain(
      `User: ${ROLE} is not authorized to perform: dynamodb:GetItem on resource: ${TABLE} because no identity-based policy allows the dynamodb:GetItem action`,
    );
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(engine.seen).toHaveLength(0);
    expect(logLines).toEqual([
      expect.stringMatching(/ACCESS DENIED WriterFunction dynamodb:GetItem on .*table\/things — no statement allows/),
    ]);
  });

  it('refuses an operation it cannot map instead of allowing it', async () => {
    const error = await failure(new DynamoDBClient(config()).send(new ExecuteStatementCommand({ Statement: 'SELECT * FROM things' })));
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toContain('ExecuteStatement is not mapped to IAM actions locally');
    expect(engine.seen).toHaveLength(0);
  });

  it('answers an unknown access key like AWS does', async () => {
    const error = await failure(
      new DynamoDBClient(config('AKIDNOBODY')).send(new PutItemCommand({ TableName: 'things', Item: { id: { S: 'a' } } })),
    );
    expect(error.name).toBe('UnrecognizedClientException');
    expect(engine.seen).toHaveLength(0);
    expect(logLines[0]).toContain('unknown access key AKIDNOBODY');
  });
});

describe('AWS gateway: S3', () => {
  it('streams an allowed upload to the engine and returns the engine reply', async () => {
    await s3().send(new PutObjectCommand({ Bucket: 'some-bucket', Key: 'a/b.txt', Body: 'payload' }));
    expect(engine.seen).toHaveLength(1);
    expect(engine.seen[0]).toMatchObject({ method: 'PUT', url: expect.stringMatching(/^\/some-bucket\/a\/b\.txt/) });
    expect(engine.seen[0].body.toString()).toBe('payload');
    const got = await s3().send(new GetObjectCommand({ Bucket: 'some-bucket', Key: 'a/b.txt' }));
    expect(await got.Body?.transformToString()).toBe('hello');
  });

  it('raises AccessDenied (403, S3 XML) for an object outside the grant', async () => {
    const error = await failure(s3().send(new GetObjectCommand({ Bucket: 'other-bucket', Key: 'x' })));
    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata?.httpStatusCode).toBe(403);
    expect(error.message).toContain('s3:GetObject on resource: arn:aws:s3:::other-bucket/x');
    expect(engine.seen).toHaveLength(0);
  });

  it('answers a denied HEAD with a bodiless 403', async () => {
    const error = await failure(s3().send(new HeadObjectCommand({ Bucket: 'other-bucket', Key: 'x' })));
    expect(error.$metadata?.httpStatusCode).toBe(403);
    expect(engine.seen).toHaveLength(0);
  });

  it('allows through a bucket policy that names the role, and nothing more', async () => {
    await s3()
      .send(new ListObjectsV2Command({ Bucket: 'shared-bucket', Prefix: 'p/' }))
      .catch(() => undefined);
    expect(engine.seen).toHaveLength(1);
    const error = await failure(s3().send(new ListObjectsV2Command({ Bucket: 'some-bucket' })));
    expect(error.name).toBe('AccessDenied');
  });

  it('refuses a large upload before its body is sent when the client expects 100-continue', async () => {
    const url = new URL(gateway.url);
    const status = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
      const request = http.request({
        host: url.hostname,
        port: url.port,
        method: 'PUT',
        path: '/other-bucket/big.bin',
        headers: {
          authorization: `AWS4-HMAC-SHA256 Credential=${WRITER_KEY}/20261130/${REGION}/s3/aws4_request, SignedHeaders=host, Signature=0`,
          expect: '100-continue',
          'content-length': String(5 * 1024 * 1024),
        },
      });
      let continued = false;
      request.on('continue', () => {
        continued = true;
      });
      request.on('response', (response) => {
        response.resume();
        resolve({ status: response.statusCode ?? 0, continued });
      });
      request.on('error', reject);
      request.flushHeaders();
    });
    expect(status).toEqual({ status: 403, continued: false });
    expect(engine.seen).toHaveLength(0);
  });

  it('sends 100 Continue and forwards the body when such an upload is allowed', async () => {
    const url = new URL(gateway.url);
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request({
        host: url.hostname,
        port: url.port,
        method: 'PUT',
        path: '/some-bucket/big.bin',
        headers: {
          authorization: `AWS4-HMAC-SHA256 Credential=${WRITER_KEY}/20261130/${REGION}/s3/aws4_request, SignedHeaders=host, Signature=0`,
          expect: '100-continue',
          'content-length': String(body.length),
        },
      });
      request.on('continue', () => request.end(body));
      request.on('response', (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      request.on('error', reject);
      request.flushHeaders();
    });
    expect(status).toBe(200);
    expect(engine.seen[0].body.length).toBe(body.length);
  });

  it('identifies the caller of a presigned URL from X-Amz-Credential', async () => {
    const credential = encodeURIComponent(`${WRITER_KEY}/20261130/${REGION}/s3/aws4_request`);
    const allowed = await fetch(
      `${gateway.url}/some-bucket/a.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${credential}&X-Amz-Signature=0`,
    );
    expect(allowed.status).toBe(200);
    const denied = await fetch(
      `${gateway.url}/other-bucket/a.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${credential}&X-Amz-Signature=0`,
    );
    expect(denied.status).toBe(403);
    expect(await denied.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('answers an unsigned request with 403 and forwards nothing', async () => {
    const response = await fetch(`${gateway.url}/some-bucket/a.txt`);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
    expect(engine.seen).toHaveLength(0);
    expect(logLines[0]).toContain('unsigned request');
  });
});

describe('AWS gateway: SQS, SNS and Step Functions', () => {
  it('forwards an allowed SendMessage and refuses one to another queue as AccessDenied', async () => {
    const sqs = new SQSClient(config());
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: QUEUE_URL, MessageBody: 'hi' }));
    expect(sent.MessageId).toBe('m-1');
    const error = await failure(sqs.send(new SendMessageCommand({ QueueUrl: 'http://127.0.0.1:1/000000000000/other', MessageBody: 'hi' })));
    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata?.httpStatusCode).toBe(403);
    expect(error.message).toContain(`sqs:SendMessage on resource: arn:aws:sqs:${REGION}:${ACCOUNT}:other`);
    expect(engine.seen).toHaveLength(1);
  });

  it('is reached by SQS calls only through queue URLs on the gateway when the endpoint comes from the environment', async () => {
    const previous = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = gateway.url;
    try {
      const sqs = new SQSClient({
        region: REGION,
        credentials: { accessKeyId: WRITER_KEY, secretAccessKey: 'local-secret' },
        maxAttempts: 1,
      });
      await sqs.send(new SendMessageCommand({ QueueUrl: `${gateway.url}/000000000000/jobs`, MessageBody: 'via gateway' }));
      expect(engine.seen).toHaveLength(1);
      // A queue URL on another host takes the call there (the SDK prefers the QueueUrl host).
      const error = await failure(sqs.send(new SendMessageCommand({ QueueUrl: QUEUE_URL, MessageBody: 'elsewhere' })));
      expect(error.message).toContain('ECONNREFUSED');
      expect(engine.seen).toHaveLength(1);
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = previous;
    }
  });

  it('lets a service principal deliver only as the queue policy allows (aws:SourceArn)', async () => {
    const sqs = new SQSClient(config(SNS_KEY));
    sqs.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers[SOURCE_ARN_HEADER] = String(
          (sqs as unknown as { sourceArn: string }).sourceArn,
        );
        return next(args);
      },
      { step: 'build' },
    );
    (sqs as unknown as { sourceArn: string }).sourceArn = TOPIC;
    await sqs.send(new SendMessageCommand({ QueueUrl: QUEUE_URL, MessageBody: 'fan-out' }));
    expect(engine.seen).toHaveLength(1);
    expect(engine.seen[0].headers[SOURCE_ARN_HEADER]).toBeUndefined();
    (sqs as unknown as { sourceArn: string }).sourceArn = `${TOPIC}-other`;
    const error = await failure(sqs.send(new SendMessageCommand({ QueueUrl: QUEUE_URL, MessageBody: 'fan-out' })));
    expect(error.name).toBe('AccessDenied');
    expect(engine.seen).toHaveLength(1);
  });

  it('raises AuthorizationError for a denied SNS Publish', async () => {
    const error = await failure(new SNSClient(config()).send(new PublishCommand({ TopicArn: TOPIC, Message: 'x' })));
    expect(error.name).toBe('AuthorizationErrorException');
    expect(error.$metadata?.httpStatusCode).toBe(403);
    expect(error.message).toContain(`SNS:Publish on resource: ${TOPIC}`);
    const allowed = await new SNSClient(config()).send(new PublishCommand({ TopicArn: `${TOPIC}-other`, Message: 'x' }));
    expect(allowed.MessageId).toBe('m-2');
  });

  it('forwards an allowed StartExecution and refuses one on another state machine', async () => {
    const sfn = new SFNClient(config());
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, input: '{}' }));
    expect(started.executionArn).toContain(':execution:pipeline:');
    const error = await failure(sfn.send(new StartExecutionCommand({ stateMachineArn: `${MACHINE}-other`, input: '{}' })));
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toContain('states:StartExecution');
    expect(engine.seen).toHaveLength(1);
  });
});
