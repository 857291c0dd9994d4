import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { devAssembly, editedAssembly, eventually, startLocalCloud, type RunningCloud } from './support/local-cloud';

/**
 * An asynchronous invocation that keeps failing (here: the daily report in a copy of the template
 * whose activity table name points nowhere) is retried as its EventInvokeConfig says and then
 * delivered to its on-failure destination, with the record Lambda writes there. With the local
 * IAM on, the call fails as it would in AWS: the role has no grant on the unknown table, and IAM is
 * evaluated before the table's existence, so the error is AccessDeniedException.
 */
let cloud: RunningCloud;
let sqs: SQSClient;

beforeAll(async () => {
  const assembly = editedAssembly(devAssembly(), (template) => {
    for (const resource of Object.values(template.Resources)) {
      const variables = (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
      if (resource.Type === 'AWS::Lambda::Function' && variables?.REPORTS_TOPIC_ARN !== undefined)
        variables.ACTIVITY_TABLE_NAME = 'no-such-table';
    }
  });
  cloud = await startLocalCloud(assembly);
  sqs = new SQSClient({ endpoint: cloud.endpoints.gatewayUrl, region: cloud.endpoints.region, credentials: cloud.endpoints.credentials });
}, 240_000);

afterAll(async () => {
  sqs?.destroy();
  await cloud?.stop();
});

test('a scheduled function that keeps failing ends in its on-failure destination after its retries', async () => {
  expect(cloud.invokeSchedule('DailyReport').stdout).toMatch(/^fired/);
  const queueUrl = Object.entries(cloud.endpoints.queues).find(([name]) => name.endsWith('DailyReportDeadLetterQueue'))?.[1] as string;
  const message = await eventually(
    async () => {
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
      return received.Messages?.[0];
    },
    30_000,
    'the on-failure record',
  );
  const record = JSON.parse(message.Body as string) as {
    requestContext: { condition: string; approximateInvokeCount: number };
    requestPayload: { scheduledTime?: string };
    responsePayload: { errorType: string };
  };
  expect(record.requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 3 });
  expect(record.requestPayload.scheduledTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  expect(record.responsePayload.errorType).toBe('AccessDeniedException');
  expect(cloud.output().match(/async attempt \d\/3\) → \S*DailyReport\S*: AccessDeniedException/g)).toHaveLength(3);
});
