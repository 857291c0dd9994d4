import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { startLocalCloud } from '../e2e/support/local-cloud';

/** A one-stack cloud assembly written by hand, so these start-up checks need no synth. */
function tinyAssembly(resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'local-cloud-tiny-'));
  fs.writeFileSync(path.join(directory, 'Tiny.template.json'), JSON.stringify({ Resources: resources }));
  fs.writeFileSync(
    path.join(directory, 'manifest.json'),
    JSON.stringify({
      version: '55.0.0',
      artifacts: { Tiny: { type: 'aws:cloudformation:stack', environment: 'aws://111111111111/eu-west-1', properties: { templateFile: 'Tiny.template.json', stackName: 'dev-Tiny' } } },
    }),
  );
  return directory;
}

test('refuses to start when the assembly uses a resource type the runner does not support, naming it', async () => {
  const assembly = tinyAssembly({ Table: { Type: 'AWS::DynamoDB::Table', Properties: { KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' } }, Stream: { Type: 'AWS::Kinesis::Stream', Properties: {} } });
  await expect(startLocalCloud(assembly)).rejects.toThrow(/does not support:\s+- AWS::Kinesis::Stream \(dev-Tiny\/Stream\)/);
});

test('lists the deliberately inert types and starts', async () => {
  const cloud = await startLocalCloud(tinyAssembly({ Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: {} }, Queue: { Type: 'AWS::SQS::Queue', Properties: {} } }));
  try {
    expect(cloud.output()).toMatch(/not emulated +AWS::CloudWatch::Alarm ×1/);
    expect(Object.values(cloud.endpoints.queues)[0]).toMatch(/\/000000000000\/dev-Tiny-Queue$/);
  } finally {
    await cloud.stop();
  }
});

test('a port already in use is a clear error naming the port', async () => {
  const blocker = http.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
  const port = (blocker.address() as { port: number }).port;
  try {
    await expect(startLocalCloud(tinyAssembly({ Queue: { Type: 'AWS::SQS::Queue', Properties: {} } }), ['--gateway-port', String(port)])).rejects.toThrow(
      new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`),
    );
  } finally {
    blocker.close();
  }
});
