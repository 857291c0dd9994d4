import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { startLocalCloud, type RunningCloud } from '../e2e/support/local-cloud';

/** A one-stack cloud assembly written by hand, so these start-up checks need no synth. */
function tinyAssembly(resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'local-cloud-tiny-'));
  fs.writeFileSync(path.join(directory, 'Tiny.template.json'), JSON.stringify({ Resources: resources }));
  fs.writeFileSync(
    path.join(directory, 'manifest.json'),
    JSON.stringify({
      version: '55.0.0',
      artifacts: {
        Tiny: {
          type: 'aws:cloudformation:stack',
          environment: 'aws://111111111111/eu-west-1',
          properties: { templateFile: 'Tiny.template.json', stackName: 'dev-Tiny' },
        },
      },
    }),
  );
  return directory;
}

test('refuses to start when the assembly uses a resource type the runner does not support, naming it', async () => {
  const assembly = tinyAssembly({
    Table: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      },
    },
    Stream: { Type: 'AWS::Kinesis::Stream', Properties: {} },
  });
  await expect(startLocalCloud(assembly)).rejects.toThrow(/does not support:\s+- AWS::Kinesis::Stream \(dev-Tiny\/Stream\)/);
});

test('a port already in use is a clear error naming the port', async () => {
  const blocker = http.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
  const port = (blocker.address() as { port: number }).port;
  try {
    await expect(
      startLocalCloud(tinyAssembly({ Queue: { Type: 'AWS::SQS::Queue', Properties: {} } }), ['--gateway-port', String(port)]),
    ).rejects.toThrow(new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
  } finally {
    blocker.close();
  }
});

/**
 * The two cases that start the runner successfully share one instance (a start costs about 1.5 s of
 * CPU): its assembly holds both the inert types and the user pool with its clients, and each case
 * reads what it checks from that one start.
 */
describe('a runner started on one assembly', () => {
  let cloud: RunningCloud;
  beforeAll(async () => {
    cloud = await startLocalCloud(
      tinyAssembly({
        Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: {} },
        Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
        Pool: { Type: 'AWS::Cognito::UserPool', Properties: {} },
        Server: {
          Type: 'AWS::Cognito::UserPoolResourceServer',
          Properties: {
            UserPoolId: { Ref: 'Pool' },
            Identifier: 'things',
            Name: 'Things',
            Scopes: [
              { ScopeName: 'read', ScopeDescription: 'r' },
              { ScopeName: 'write', ScopeDescription: 'w' },
            ],
          },
        },
        Machine: {
          Type: 'AWS::Cognito::UserPoolClient',
          Properties: {
            UserPoolId: { Ref: 'Pool' },
            GenerateSecret: true,
            AllowedOAuthFlows: ['client_credentials'],
            AllowedOAuthFlowsUserPoolClient: true,
            AllowedOAuthScopes: [{ 'Fn::Join': ['', [{ Ref: 'Server' }, '/read']] }, 'things/delete'],
          },
        },
        Writer: {
          Type: 'AWS::Cognito::UserPoolClient',
          Properties: {
            UserPoolId: { Ref: 'Pool' },
            GenerateSecret: true,
            AllowedOAuthFlows: ['client_credentials'],
            AllowedOAuthScopes: ['things/read', 'things/write'],
          },
        },
        Browser: {
          Type: 'AWS::Cognito::UserPoolClient',
          Properties: { UserPoolId: { Ref: 'Pool' }, GenerateSecret: false, AllowedOAuthFlows: ['code'], AllowedOAuthScopes: ['openid'] },
        },
      }),
    );
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  test('lists the deliberately inert types and starts', () => {
    expect(cloud.output()).toMatch(/not emulated +AWS::CloudWatch::Alarm ×1/);
    expect(Object.values(cloud.endpoints.queues)[0]).toMatch(/\/000000000000\/dev-Tiny-Queue$/);
  });

  test("serves a user pool's client-credentials clients with the scopes their pool's resource servers declare, warning loudly about any other", async () => {
    const { tokens, token } = cloud.endpoints;
    expect(tokens.map((client) => [client.name, client.scopes])).toEqual([
      ['dev-Tiny/Machine', ['things/read']],
      ['dev-Tiny/Writer', ['things/read', 'things/write']],
    ]);
    expect(token?.name).toBe('dev-Tiny/Writer');
    expect(cloud.output()).toMatch(/!!! .*dev-Tiny\/Machine.*things\/delete/);
    expect(cloud.output()).toMatch(
      new RegExp(
        `token +curl -s -u ${token?.clientId}:${token?.clientSecret} -d grant_type=client_credentials -d scope='things/read things/write' http://127\\.0\\.0\\.1:\\d+/oauth2/token`,
      ),
    );
    const issued = await fetch(token!.url, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${token!.clientId}:${token!.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const body = (await issued.json()) as { access_token: string };
    expect(JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString())).toMatchObject({
      scope: 'things/read things/write',
      token_use: 'access',
      client_id: token!.clientId,
    });
  });
});
