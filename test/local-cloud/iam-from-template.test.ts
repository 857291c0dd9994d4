import { Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { evaluatePolicies } from '../../tools/local-cloud/iam/evaluate';
import { collectResourcePolicies, collectRoleStatements, TemplateResource } from '../../tools/local-cloud/iam/from-template';
import type { PolicyStatement } from '../../tools/local-cloud/iam/types';
import { testApp } from '../support/synth';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';

/**
 * A small stand-in for the runner's resolver: every resource gets a physical name derived from its
 * logical ID, and Ref / Fn::GetAtt / Fn::Join / Fn::Select / Fn::Split and the pseudo parameters are
 * replaced. Enough to feed real CDK output (grant* statements, subscription queue policies) to the
 * collectors the way the runner will.
 */
function resolveTemplate(template: { Resources: Record<string, TemplateResource> }) {
  const refs: Record<string, string> = {};
  const attributes: Record<string, Record<string, string>> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    const name = id.toLowerCase().slice(0, 40);
    const arnOf: Record<string, string> = {
      'AWS::DynamoDB::Table': `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`,
      'AWS::S3::Bucket': `arn:aws:s3:::${name}`,
      'AWS::SQS::Queue': `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`,
      'AWS::SNS::Topic': `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`,
      'AWS::IAM::Role': `arn:aws:iam::${ACCOUNT}:role/${name}`,
      'AWS::Lambda::Function': `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
      'AWS::IAM::ManagedPolicy': `arn:aws:iam::${ACCOUNT}:policy/${name}`,
    };
    const arn = arnOf[resource.Type];
    refs[id] =
      resource.Type === 'AWS::SQS::Queue'
        ? `http://127.0.0.1:9324/${ACCOUNT}/${name}`
        : ['AWS::SNS::Topic', 'AWS::IAM::ManagedPolicy'].includes(resource.Type)
          ? arn
          : name;
    attributes[id] = { Arn: arn, QueueName: name, TopicName: name, QueueUrl: refs[id] };
  }
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': REGION,
    'AWS::AccountId': ACCOUNT,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const resolve = (value: any): any => {
    if (Array.isArray(value)) return value.map(resolve);
    if (!value || typeof value !== 'object') return value;
    if ('Ref' in value) return pseudo[value.Ref] ?? refs[value.Ref];
    if ('Fn::GetAtt' in value) return attributes[value['Fn::GetAtt'][0]][value['Fn::GetAtt'][1]];
    if ('Fn::Join' in value) return (resolve(value['Fn::Join'][1]) as string[]).join(value['Fn::Join'][0]);
    if ('Fn::Select' in value) return resolve(value['Fn::Select'][1])[value['Fn::Select'][0]];
    if ('Fn::Split' in value) return String(resolve(value['Fn::Split'][1])).split(value['Fn::Split'][0]);
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, resolve(inner)]));
  };
  return { resources: resolve(template.Resources) as Record<string, TemplateResource>, refs, attributes };
}

function synthesize() {
  const app = testApp();
  const stack = new Stack(app, 'Fixture', { env: { account: ACCOUNT, region: REGION } });
  const table = new dynamodb.Table(stack, 'Records', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
  table.addGlobalSecondaryIndex({ indexName: 'by-owner', partitionKey: { name: 'owner', type: dynamodb.AttributeType.STRING } });
  const bucket = new s3.Bucket(stack, 'Files', { enforceSSL: true });
  const queue = new sqs.Queue(stack, 'Work');
  const topic = new sns.Topic(stack, 'Events');
  topic.addSubscription(new subscriptions.SqsSubscription(queue));
  const fn = new lambda.Function(stack, 'Handler', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {}'),
  });
  table.grantReadData(fn);
  bucket.grantPut(fn);
  topic.grantPublish(fn);
  new iam.ManagedPolicy(stack, 'QueueReader', {
    roles: [fn.role!],
    statements: [new iam.PolicyStatement({ actions: ['sqs:ReceiveMessage'], resources: [queue.queueArn] })],
  });
  const template = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, TemplateResource> };
  const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
  return {
    template,
    ids: {
      role: stack.getLogicalId(fn.role!.node.defaultChild as never),
      table: logicalId(table),
      bucket: logicalId(bucket),
      queue: logicalId(queue),
      topic: logicalId(topic),
    },
  };
}

describe('from-template collectors on a real CDK template', () => {
  const { template, ids } = synthesize();
  const { resources, refs, attributes } = resolveTemplate(template);
  const { roles, warnings } = collectRoleStatements(resources, { account: ACCOUNT, region: REGION, refs });
  const resourcePolicies = collectResourcePolicies(resources, { account: ACCOUNT, region: REGION, refs });
  const roleArn = attributes[ids.role].Arn;
  const tableArn = attributes[ids.table].Arn;
  const bucketArn = attributes[ids.bucket].Arn;
  const queueArn = attributes[ids.queue].Arn;
  const topicArn = attributes[ids.topic].Arn;

  const decide = (
    action: string,
    resource: string,
    principal: { type: 'AWS' | 'Service'; id: string } = { type: 'AWS', id: roleArn },
    context: Record<string, string> = {},
  ) => {
    const identity: PolicyStatement[] = principal.type === 'AWS' ? (roles.get(ids.role) ?? []) : [];
    const resourcePolicy = resourcePolicies
      .filter((p) => resource === p.resourceArn || resource.startsWith(`${p.resourceArn}/`))
      .flatMap((p) => p.statements);
    return evaluatePolicies({
      identity,
      resourcePolicy,
      principal,
      action,
      resource,
      context: { 'aws:SecureTransport': 'true', ...context },
    }).decision;
  };

  it('collects the role statements CDK grants (AWS::IAM::Policy via Roles) and allows exactly them', () => {
    expect(decide('dynamodb:GetItem', tableArn)).toBe('allow');
    expect(decide('dynamodb:Query', `${tableArn}/index/by-owner`)).toBe('allow');
    expect(decide('dynamodb:PutItem', tableArn)).toBe('implicit-deny');
    expect(decide('s3:PutObject', `${bucketArn}/uploads/a.txt`)).toBe('allow');
    expect(decide('s3:GetObject', `${bucketArn}/uploads/a.txt`)).toBe('implicit-deny');
    expect(decide('sns:Publish', topicArn)).toBe('allow');
    expect(decide('sqs:SendMessage', queueArn)).toBe('implicit-deny');
  });

  it('attaches a managed policy to the roles it lists', () => {
    expect(decide('sqs:ReceiveMessage', queueArn)).toBe('allow');
  });

  it('reports the AWS managed policy (basic execution role) it cannot know', () => {
    expect(warnings).toEqual([expect.stringContaining('AWSLambdaBasicExecutionRole')]);
  });

  it('collects the queue policy a subscription adds: only the topic may deliver', () => {
    const sns = { type: 'Service' as const, id: 'sns.amazonaws.com' };
    expect(decide('sqs:SendMessage', queueArn, sns, { 'aws:SourceArn': topicArn })).toBe('allow');
    expect(decide('sqs:SendMessage', queueArn, sns, { 'aws:SourceArn': `${topicArn}-other` })).toBe('implicit-deny');
  });

  it('collects the TLS-only bucket policy, which denies insecure requests', () => {
    expect(decide('s3:PutObject', `${bucketArn}/a.txt`, { type: 'AWS', id: roleArn }, { 'aws:SecureTransport': 'false' })).toBe(
      'explicit-deny',
    );
  });

  it('turns Lambda permissions into the function resource policy', () => {
    const policies = collectResourcePolicies(
      {
        Permission: {
          Type: 'AWS::Lambda::Permission',
          Properties: {
            FunctionName: 'arn:aws:lambda:eu-west-1:111122223333:function:fn',
            Action: 'lambda:InvokeFunction',
            Principal: 'apigateway.amazonaws.com',
            SourceArn: 'arn:aws:execute-api:eu-west-1:111122223333:api/*',
          },
        },
      },
      { account: ACCOUNT, region: REGION },
    );
    expect(policies).toEqual([
      {
        resourceArn: 'arn:aws:lambda:eu-west-1:111122223333:function:fn',
        statements: [
          {
            Effect: 'Allow',
            Principal: { Service: 'apigateway.amazonaws.com' },
            Action: 'lambda:InvokeFunction',
            Resource: ['arn:aws:lambda:eu-west-1:111122223333:function:fn', 'arn:aws:lambda:eu-west-1:111122223333:function:fn:*'],
            Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:execute-api:eu-west-1:111122223333:api/*' } },
          },
        ],
      },
    ]);
  });

  it('warns about a policy attached to a role the template does not define', () => {
    const result = collectRoleStatements(
      {
        Stray: {
          Type: 'AWS::IAM::Policy',
          Properties: { Roles: ['elsewhere'], PolicyDocument: { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } },
        },
      },
      { account: ACCOUNT, region: REGION },
    );
    expect(result.roles.size).toBe(0);
    expect(result.warnings).toEqual([expect.stringContaining('"elsewhere"')]);
  });
});
