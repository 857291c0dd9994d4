import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AssemblyStack } from '../../tools/local-cloud/assembly';
import { buildLocalImage } from '../../tools/local-cloud/containers';
import { startStepFunctions } from '../../tools/local-cloud/step-functions';
import { LocalFunction } from '../../tools/local-cloud/lambda';
import { encodeS3EventKey, eventMatches } from '../../tools/local-cloud/messaging';
import { CloudModel } from '../../tools/local-cloud/model';
import { toCronerPattern } from '../../tools/local-cloud/scheduler';
import { filterMatches } from '../../tools/local-cloud/sns';

// The real ASL validator, counted: the local Step Functions validates each definition once.
jest.mock('asl-validator', () => {
  const actual = jest.requireActual('asl-validator') as (...args: unknown[]) => unknown;
  return Object.assign(
    jest.fn((...args: unknown[]) => actual(...args)),
    { __esModule: false },
  );
});

const s3Event = (key: string) => ({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key } } }] });

describe('SNS filter policies', () => {
  const importsOnly = { Records: { s3: { object: { key: [{ prefix: 'imports/' }] } } } };

  test('a MessageBody policy on a nested key matches through the Records array', () => {
    expect(filterMatches(importsOnly, s3Event('imports/people.csv'))).toBe(true);
    expect(filterMatches(importsOnly, s3Event('incoming/photo.png'))).toBe(false);
  });

  test('a message without the key does not match (the s3:TestEvent)', () => {
    expect(filterMatches(importsOnly, { Service: 'Amazon S3', Event: 's3:TestEvent' })).toBe(false);
  });

  test('exact values, anything-but, numeric ranges, exists and $or follow SNS', () => {
    expect(filterMatches({ kind: ['report'] }, { kind: 'report' })).toBe(true);
    expect(filterMatches({ kind: [{ 'anything-but': ['report'] }] }, { kind: 'report' })).toBe(false);
    expect(filterMatches({ size: [{ numeric: ['>', 10, '<=', 20] }] }, { size: 20 })).toBe(true);
    expect(filterMatches({ size: [{ numeric: ['>', 10, '<=', 20] }] }, { size: 21 })).toBe(false);
    expect(filterMatches({ tag: [{ exists: false }] }, { other: 1 })).toBe(true);
    expect(filterMatches({ $or: [{ a: ['x'] }, { b: ['y'] }] }, { b: 'y' })).toBe(true);
  });
});

describe('S3 events', () => {
  test('keys are encoded as S3 encodes them in events', () => {
    expect(encodeS3EventKey('incoming/my photo (1).png')).toBe('incoming/my+photo+%281%29.png');
    expect(encodeS3EventKey('imports/café.csv')).toBe('imports/caf%C3%A9.csv');
  });

  test('configured event patterns match by prefix wildcard or exactly', () => {
    expect(eventMatches('ObjectCreated:Put', ['s3:ObjectCreated:*'])).toBe(true);
    expect(eventMatches('ObjectCreated:Copy', ['s3:ObjectCreated:Put'])).toBe(false);
    expect(eventMatches('ObjectRemoved:Delete', ['s3:ObjectCreated:*'])).toBe(false);
  });
});

describe('schedule expressions', () => {
  test('EventBridge cron becomes croner cron with seconds and Sunday = 0', () => {
    expect(toCronerPattern('0 9 * * ? *')).toBe('0 0 9 * * *');
    expect(toCronerPattern('30 6 ? * 2-6 *')).toBe('0 30 6 * * 1-5');
  });
});

describe('references', () => {
  const stack = (stackName: string, template: AssemblyStack['template']): AssemblyStack => ({
    artifactId: stackName,
    stackName,
    account: '111111111111',
    region: 'eu-west-1',
    template,
    directory: '.',
    assets: undefined,
  });
  const producer = stack('dev-Stateful', {
    Resources: { Table: { Type: 'AWS::DynamoDB::Table', Properties: {} }, Queue: { Type: 'AWS::SQS::Queue', Properties: {} } },
    Outputs: { TableArn: { Value: { 'Fn::GetAtt': ['Table', 'Arn'] } } },
  });
  const consumer = stack('dev-Api', {
    Resources: {
      Fn: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Environment: {
            Variables: {
              TABLE_ARN: { 'Fn::GetStackOutput': { StackName: 'dev-Stateful', Region: 'eu-west-1', OutputName: 'TableArn' } },
              SUBBED: { 'Fn::Sub': 'arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:x' },
              SECOND: { 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] },
              LITERAL_ACCOUNT: 'arn:aws:execute-api:eu-west-1:111111111111:api',
            },
          },
        },
      },
    },
  });
  const model = new CloudModel([producer, consumer], { region: 'eu-west-1', sqsEndpoint: 'http://127.0.0.1:4566' });

  test('weak cross-stack references resolve to the producing stack output, in the local account', () => {
    const variables = (model.properties(model.resource(consumer, 'Fn')).Environment as { Variables: Record<string, string> }).Variables;
    expect(variables.TABLE_ARN).toBe('arn:aws:dynamodb:eu-west-1:000000000000:table/dev-Stateful-Table');
    expect(variables.SUBBED).toBe('arn:aws:sqs:eu-west-1:000000000000:x');
    expect(variables.SECOND).toBe('b');
    expect(variables.LITERAL_ACCOUNT).toBe('arn:aws:execute-api:eu-west-1:000000000000:api');
  });

  test('a queue is named by the AWS endpoint URL it is reached through', () => {
    expect(model.resource(producer, 'Queue').ref).toBe('http://127.0.0.1:4566/000000000000/dev-Stateful-Queue');
  });
});

describe('a local Lambda function', () => {
  let directory: string;
  let fn: LocalFunction;
  beforeAll(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'local-fn-'));
    fs.writeFileSync(
      path.join(directory, 'index.mjs'),
      `export const handler = async (event, context) => {
  if (event.sleep) await new Promise((resolve) => setTimeout(resolve, event.sleep));
  if (event.fail) { class ValidationError extends Error { constructor(m) { super(m); this.name = 'ValidationError'; } } throw new ValidationError('bad input'); }
  return { pid: process.pid, env: process.env.ONLY_THIS, home: process.env.HOME ?? null, remaining: context.getRemainingTimeInMillis(), name: context.functionName };
};`,
    );
    fn = new LocalFunction({
      name: 'probe',
      arn: 'arn:aws:lambda:eu-west-1:000000000000:function:probe',
      codeDirectory: directory,
      handler: 'index.handler',
      timeoutSeconds: 1,
      memoryMb: 128,
      environment: { ONLY_THIS: 'yes' },
      maxInstances: 1,
      logFile: path.join(directory, 'probe.log'),
    });
  });
  afterAll(async () => {
    await fn.close();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  test('runs its bundle with exactly its environment and a context, and stays warm', async () => {
    const first = await fn.invoke({});
    const second = await fn.invoke({});
    expect(first).toMatchObject({ ok: true, result: { env: 'yes', home: null, name: 'probe' } });
    expect((first as { result: { remaining: number } }).result.remaining).toBeGreaterThan(0);
    expect((second as { result: { pid: number } }).result.pid).toBe((first as { result: { pid: number } }).result.pid);
  });

  test('reports errors as the Node.js runtime does', async () => {
    const outcome = await fn.invoke({ fail: true });
    expect(outcome).toMatchObject({ ok: false, error: { errorType: 'ValidationError', errorMessage: 'bad input' } });
    expect((outcome as { error: { trace: string[] } }).error.trace.length).toBeGreaterThan(0);
  });

  test('enforces its timeout and starts a fresh environment afterwards', async () => {
    const before = (await fn.invoke({})) as { result: { pid: number } };
    const timedOut = await fn.invoke({ sleep: 3000 });
    expect(timedOut).toMatchObject({ ok: false, error: { errorType: 'Sandbox.Timedout' } });
    expect((timedOut as { error: { errorMessage: string } }).error.errorMessage).toMatch(/Task timed out after 1\.00 seconds$/);
    const after = (await fn.invoke({})) as { result: { pid: number } };
    expect(after.result.pid).not.toBe(before.result.pid);
  });
});

describe('local images in a shared cache', () => {
  let directory: string;
  const imageRoot = () => path.join(directory, 'cache', 'image-abcdef0123456789');
  const build = (log: (line: string) => void) =>
    buildLocalImage({
      contextDirectory: path.join(directory, 'context'),
      dockerfile: 'Dockerfile',
      cacheKey: 'abcdef0123456789abcdef',
      cacheDirectory: path.join(directory, 'cache'),
      projectDirectory: directory,
      log,
    });
  beforeAll(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'local-image-'));
    fs.mkdirSync(path.join(directory, 'context'));
    fs.mkdirSync(path.join(directory, 'node_modules'));
    fs.writeFileSync(path.join(directory, 'context', 'app.js'), 'console.log("app")\n');
    // The build stage's RUN fails if the image is visible under its final name before it is complete
    // (a quoted absolute path: the runner redirects only bare ones).
    fs.writeFileSync(
      path.join(directory, 'context', 'Dockerfile'),
      [
        'FROM node:24 AS build',
        'WORKDIR /src',
        'COPY app.js ./',
        `RUN test ! -e "${imageRoot()}" && mkdir -p /out && cp app.js /out/app.js`,
        'FROM node:24-alpine',
        'WORKDIR /app',
        'COPY app.js ./copied.js',
        'COPY --from=build /out ./dist',
        'ENTRYPOINT ["node", "dist/app.js"]',
      ].join('\n'),
    );
  });
  afterAll(() => {
    fs.rmSync(directory, { recursive: true, force: true });
  });

  test('an image appears under its name only once complete, and another instance reuses it without building', () => {
    const lines: string[] = [];
    const first = build((line) => lines.push(line));
    expect(lines.filter((line) => line.startsWith('image    built'))).toHaveLength(1);
    expect(fs.readFileSync(path.join(first.root, 'dist', 'app.js'), 'utf8')).toBe('console.log("app")\n');
    expect(fs.existsSync(path.join(first.root, 'copied.js'))).toBe(true);
    expect(first.entrypoint).toEqual(['node', 'dist/app.js']);
    // Nothing of the build is left beside the image.
    expect(fs.readdirSync(path.join(directory, 'cache'))).toEqual([path.basename(first.root)]);

    const again: string[] = [];
    const second = build((line) => again.push(line));
    expect(second.root).toBe(first.root);
    expect(again.filter((line) => line.startsWith('image    built'))).toEqual([]);
  });

  test('a folder an interrupted build left under the image name (no .complete) is replaced', () => {
    fs.rmSync(imageRoot(), { recursive: true, force: true });
    fs.mkdirSync(path.join(imageRoot(), 'dist'), { recursive: true });
    fs.writeFileSync(path.join(imageRoot(), 'dist', 'app.js'), 'half');
    // (the leftover is there from the start here, so the probe looks at a name nothing else uses)
    fs.writeFileSync(
      path.join(directory, 'context', 'Dockerfile'),
      fs.readFileSync(path.join(directory, 'context', 'Dockerfile'), 'utf8').replace(imageRoot(), `${imageRoot()}-unused`),
    );
    const image = build(() => undefined);
    expect(fs.readFileSync(path.join(image.root, 'dist', 'app.js'), 'utf8')).toBe('console.log("app")\n');
    expect(fs.existsSync(path.join(image.root, '.complete'))).toBe(true);
  });
});

describe('the local Step Functions API', () => {
  test('validates a definition on its first execution only, and each execution still runs on its own input', async () => {
    const validator = jest.requireMock('asl-validator') as jest.Mock;
    validator.mockClear();
    const arn = 'arn:aws:states:eu-west-1:000000000000:stateMachine:Probe';
    const api = await startStepFunctions({
      host: '127.0.0.1',
      machines: [
        {
          arn,
          name: 'Probe',
          definition: {
            StartAt: 'Work',
            States: { Work: { Type: 'Task', Resource: 'arn:aws:lambda:eu-west-1:000000000000:function:probe', End: true } },
          } as never,
          runTask: async (_state, _resource, input) => ({ doubled: 2 * Number((input as { n: number }).n) }),
        },
      ],
      log: () => undefined,
    });
    try {
      const call = async (action: string, body: unknown) =>
        (await (
          await fetch(api.url, { method: 'POST', headers: { 'x-amz-target': `AWSStepFunctions.${action}` }, body: JSON.stringify(body) })
        ).json()) as Record<string, unknown>;
      const started = await Promise.all(
        [1, 2, 3].map((n) => call('StartExecution', { stateMachineArn: arn, input: JSON.stringify({ n }) })),
      );
      const outputs: unknown[] = [];
      for (const { executionArn } of started) {
        for (
          let described = await call('DescribeExecution', { executionArn });
          ;
          described = await call('DescribeExecution', { executionArn })
        ) {
          if (described.status !== 'RUNNING') {
            expect(described.status).toBe('SUCCEEDED');
            outputs.push(JSON.parse(described.output as string));
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
      expect(outputs).toEqual([{ doubled: 2 }, { doubled: 4 }, { doubled: 6 }]);
      expect(validator).toHaveBeenCalledTimes(1);
    } finally {
      await api.close();
    }
  });
});

test('a definition the validator refuses answers StartExecution with 400 InvalidDefinition, and the API keeps serving', async () => {
  const arn = 'arn:aws:states:eu-west-1:000000000000:stateMachine:Broken';
  const api = await startStepFunctions({
    host: '127.0.0.1',
    // No End and no Next: not a valid state machine.
    machines: [{ arn, name: 'Broken', definition: { StartAt: 'Work', States: { Work: { Type: 'Pass' } } }, runTask: async () => null }],
    log: () => undefined,
  });
  try {
    const call = (action: string, body: unknown) =>
      fetch(api.url, { method: 'POST', headers: { 'x-amz-target': `AWSStepFunctions.${action}` }, body: JSON.stringify(body) });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const refused = await call('StartExecution', { stateMachineArn: arn, input: '{}' });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({
        __type: expect.stringMatching(/InvalidDefinition$/),
        message: expect.stringMatching(/End/),
      });
    }
    expect(await (await call('ListExecutions', { stateMachineArn: arn })).json()).toEqual({ executions: [] });
  } finally {
    await api.close();
  }
});
