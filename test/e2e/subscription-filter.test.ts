import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { devAssembly, editedAssembly, eventually, localS3Client, startLocalCloud, type RunningCloud } from './support/local-cloud';

/**
 * The runner delivers what the templates say, not what the app intends: in a copy of the dev
 * assembly whose imports-queue subscription filters on another prefix, an import upload is still
 * published (the files queue gets it) but never reaches the imports queue, so no import starts.
 */
let cloud: RunningCloud;
let s3: S3Client;
let sfn: SFNClient;

beforeAll(async () => {
  const assembly = editedAssembly(devAssembly(), (template) => {
    for (const resource of Object.values(template.Resources)) {
      const policy = resource.Properties?.FilterPolicy as
        { Records?: { s3?: { object?: { key?: Array<{ prefix: string }> } } } } | undefined;
      const rules = policy?.Records?.s3?.object?.key;
      if (resource.Type === 'AWS::SNS::Subscription' && rules !== undefined) rules[0].prefix = 'elsewhere/';
    }
  });
  cloud = await startLocalCloud(assembly);
  const { region, credentials } = cloud.endpoints;
  s3 = localS3Client(cloud.endpoints);
  sfn = new SFNClient({ endpoint: cloud.endpoints.gatewayUrl, region, credentials });
}, 240_000);

afterAll(async () => {
  s3?.destroy();
  sfn?.destroy();
  await cloud?.stop();
});

test('an upload the changed filter no longer matches never reaches the imports queue, so no import starts', async () => {
  const key = 'imports/filtered-out.csv';
  await s3.send(
    new PutObjectCommand({ Bucket: cloud.endpoints.uploadsBucket as string, Key: key, Body: 'name,email\nAda,ada.filtered@example.com\n' }),
  );
  // The topic got the event: the unfiltered files queue's consumer received it.
  await eventually(
    async () =>
      /s3 {7}ObjectCreated:Put \S+\/imports\/filtered-out\.csv → topic/.test(cloud.output()) &&
      /FilesQueue\S* → \S+: batch of \d+, \d+ ok/.test(cloud.output().split(key)[1] ?? '')
        ? true
        : undefined,
    15_000,
    'the files queue delivery',
  );
  await new Promise((resolve) => setTimeout(resolve, 2000));
  expect(cloud.output()).not.toMatch(/→ queue \S*ImportsQueue/);
  const machine = Object.values(cloud.endpoints.stateMachines)[0];
  const executions = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine }));
  expect(executions.executions).toEqual([]);
});
