import { authorize } from '../../tools/local-cloud/iam/authorize';
import type { MappedRequest } from '../../tools/local-cloud/iam/requests';
import { mapStateMachineTask } from '../../tools/local-cloud/iam/states-tasks';
import type { PolicyStatement } from '../../tools/local-cloud/iam/types';

const ENV = { account: '111122223333', region: 'eu-west-1' };
const P = 'arn:aws:states:::';

function requestsOf(result: MappedRequest) {
  if (!result.ok) throw new Error(`expected a mapping, got a refusal: ${result.reason}`);
  return result.requests.map(({ action, resource }) => ({ action, resource }));
}

describe('mapStateMachineTask: service integrations', () => {
  it('maps lambda:invoke (by name, with qualifier) and the legacy function ARN resource', () => {
    expect(requestsOf(mapStateMachineTask(`${P}lambda:invoke`, { FunctionName: 'validate', Payload: {} }, ENV))).toEqual([
      { action: 'lambda:InvokeFunction', resource: 'arn:aws:lambda:eu-west-1:111122223333:function:validate' },
    ]);
    expect(
      requestsOf(
        mapStateMachineTask(
          `${P}lambda:invoke.waitForTaskToken`,
          { FunctionName: 'arn:aws:lambda:eu-west-1:111122223333:function:v', Qualifier: 'live' },
          ENV,
        ),
      ),
    ).toEqual([{ action: 'lambda:InvokeFunction', resource: 'arn:aws:lambda:eu-west-1:111122223333:function:v:live' }]);
    expect(requestsOf(mapStateMachineTask('arn:aws:lambda:eu-west-1:111122223333:function:direct', undefined, ENV))).toEqual([
      { action: 'lambda:InvokeFunction', resource: 'arn:aws:lambda:eu-west-1:111122223333:function:direct' },
    ]);
  });

  it('maps ecs:runTask.sync to RunTask, PassRole on the task roles, DescribeTasks and the managed events rule', () => {
    const definition = 'arn:aws:ecs:eu-west-1:111122223333:task-definition/import:4';
    const env = { ...ENV, passRolesOf: () => ['arn:aws:iam::111122223333:role/task-role'] };
    expect(
      requestsOf(
        mapStateMachineTask(
          `${P}ecs:runTask.sync`,
          { Cluster: 'arn:aws:ecs:eu-west-1:111122223333:cluster/work', TaskDefinition: definition, LaunchType: 'FARGATE' },
          env,
        ),
      ),
    ).toEqual([
      { action: 'ecs:RunTask', resource: definition },
      { action: 'iam:PassRole', resource: 'arn:aws:iam::111122223333:role/task-role' },
      { action: 'ecs:DescribeTasks', resource: 'arn:aws:ecs:eu-west-1:111122223333:task/work/*' },
      { action: 'events:PutTargets', resource: 'arn:aws:events:eu-west-1:111122223333:rule/StepFunctionsGetEventsForECSTaskRule' },
      { action: 'events:PutRule', resource: 'arn:aws:events:eu-west-1:111122223333:rule/StepFunctionsGetEventsForECSTaskRule' },
      { action: 'events:DescribeRule', resource: 'arn:aws:events:eu-west-1:111122223333:rule/StepFunctionsGetEventsForECSTaskRule' },
    ]);
    expect(requestsOf(mapStateMachineTask(`${P}ecs:runTask`, { TaskDefinition: definition }, ENV))).toEqual([
      { action: 'ecs:RunTask', resource: definition },
    ]);
  });

  it('maps sns:publish, sqs:sendMessage, dynamodb item tasks and states:startExecution', () => {
    expect(
      requestsOf(mapStateMachineTask(`${P}sns:publish`, { TopicArn: 'arn:aws:sns:eu-west-1:111122223333:t', Message: 'x' }, ENV)),
    ).toEqual([{ action: 'sns:Publish', resource: 'arn:aws:sns:eu-west-1:111122223333:t' }]);
    expect(
      requestsOf(mapStateMachineTask(`${P}sqs:sendMessage`, { QueueUrl: 'http://127.0.0.1:1/111122223333/q', MessageBody: {} }, ENV)),
    ).toEqual([{ action: 'sqs:SendMessage', resource: 'arn:aws:sqs:eu-west-1:111122223333:q' }]);
    expect(requestsOf(mapStateMachineTask(`${P}dynamodb:updateItem`, { TableName: 'jobs', Key: {} }, ENV))).toEqual([
      { action: 'dynamodb:UpdateItem', resource: 'arn:aws:dynamodb:eu-west-1:111122223333:table/jobs' },
    ]);
    const machine = 'arn:aws:states:eu-west-1:111122223333:stateMachine:child';
    expect(requestsOf(mapStateMachineTask(`${P}states:startExecution.sync:2`, { StateMachineArn: machine }, ENV))).toEqual([
      { action: 'states:StartExecution', resource: machine },
      { action: 'states:DescribeExecution', resource: 'arn:aws:states:eu-west-1:111122223333:execution:child:*' },
      {
        action: 'events:PutTargets',
        resource: 'arn:aws:events:eu-west-1:111122223333:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
      },
      {
        action: 'events:PutRule',
        resource: 'arn:aws:events:eu-west-1:111122223333:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
      },
      {
        action: 'events:DescribeRule',
        resource: 'arn:aws:events:eu-west-1:111122223333:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
      },
    ]);
  });

  it('maps aws-sdk integrations through the same request mapper as SDK calls', () => {
    expect(
      requestsOf(
        mapStateMachineTask(
          `${P}aws-sdk:dynamodb:query`,
          { TableName: 'jobs', IndexName: 'by-state', KeyConditionExpression: 's = :s' },
          ENV,
        ),
      ),
    ).toEqual([{ action: 'dynamodb:Query', resource: 'arn:aws:dynamodb:eu-west-1:111122223333:table/jobs/index/by-state' }]);
    expect(
      requestsOf(mapStateMachineTask(`${P}aws-sdk:s3:getObject`, { Bucket: 'files', Key: 'a b/c.csv', VersionId: 'v1' }, ENV)),
    ).toEqual([{ action: 's3:GetObjectVersion', resource: 'arn:aws:s3:::files/a b/c.csv' }]);
    expect(requestsOf(mapStateMachineTask(`${P}aws-sdk:s3:listObjectsV2`, { Bucket: 'files', Prefix: 'in/' }, ENV))).toEqual([
      { action: 's3:ListBucket', resource: 'arn:aws:s3:::files' },
    ]);
    expect(
      requestsOf(mapStateMachineTask(`${P}events:putEvents`, { Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] }, ENV)),
    ).toEqual([{ action: 'events:PutEvents', resource: 'arn:aws:events:eu-west-1:111122223333:event-bus/default' }]);
  });

  it('needs nothing for activities and refuses what it does not know', () => {
    expect(mapStateMachineTask('arn:aws:states:eu-west-1:111122223333:activity:manual', undefined, ENV)).toEqual({
      ok: true,
      operation: 'activity',
      requests: [],
    });
    expect(mapStateMachineTask(`${P}glue:startJobRun.sync`, { JobName: 'j' }, ENV)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('not mapped'),
    });
    expect(mapStateMachineTask(`${P}aws-sdk:kms:decrypt`, {}, ENV)).toMatchObject({ ok: false });
    expect(mapStateMachineTask(`${P}lambda:invoke`, {}, ENV)).toMatchObject({ ok: false, reason: expect.stringContaining('FunctionName') });
  });
});

describe('authorize: a state machine role checked in-process', () => {
  const machineRole = 'arn:aws:iam::111122223333:role/machine-role';
  const statements: PolicyStatement[] = [
    {
      Effect: 'Allow',
      Action: 'lambda:InvokeFunction',
      Resource: ['arn:aws:lambda:eu-west-1:111122223333:function:validate', 'arn:aws:lambda:eu-west-1:111122223333:function:validate:*'],
    },
    { Effect: 'Allow', Action: 'ecs:RunTask', Resource: 'arn:aws:ecs:eu-west-1:111122223333:task-definition/import:*' },
  ];
  const principal = { name: 'ImportStateMachine', roleArn: machineRole, statements };

  it('allows the granted task and refuses the RunTask whose PassRole is missing, logging it', () => {
    const lines: string[] = [];
    const invoke = mapStateMachineTask(`${P}lambda:invoke`, { FunctionName: 'validate' }, ENV);
    if (!invoke.ok) throw new Error(invoke.reason);
    expect(authorize({ principal, requests: invoke.requests, resourcePolicies: [], ...ENV, log: (l) => lines.push(l) })).toEqual({
      allowed: true,
    });

    const env = { ...ENV, passRolesOf: () => ['arn:aws:iam::111122223333:role/task-role'] };
    const run = mapStateMachineTask(
      `${P}ecs:runTask`,
      { TaskDefinition: 'arn:aws:ecs:eu-west-1:111122223333:task-definition/import:4' },
      env,
    );
    if (!run.ok) throw new Error(run.reason);
    const result = authorize({
      principal,
      requests: run.requests,
      resourcePolicies: [],
      ...ENV,
      operation: 'Task RunImport',
      log: (l) => lines.push(l),
    });
    expect(result).toMatchObject({
      allowed: false,
      action: 'iam:PassRole',
      resource: 'arn:aws:iam::111122223333:role/task-role',
      decision: 'implicit-deny',
      message: expect.stringContaining(
        `User: ${machineRole} is not authorized to perform: iam:PassRole on resource: arn:aws:iam::111122223333:role/task-role`,
      ),
    });
    expect(lines).toEqual([
      expect.stringMatching(
        /^\[local-iam\] ACCESS DENIED ImportStateMachine iam:PassRole on .*task-role — no statement allows .* \(Task RunImport\)$/,
      ),
    ]);
  });

  it('evaluates a service principal against the resource policy with aws:SourceArn', () => {
    const queue = 'arn:aws:sqs:eu-west-1:111122223333:q';
    const topic = 'arn:aws:sns:eu-west-1:111122223333:t';
    const resourcePolicies = [
      {
        resourceArn: queue,
        statements: [
          {
            Effect: 'Allow' as const,
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: queue,
            Condition: { ArnEquals: { 'aws:SourceArn': topic } },
          },
        ],
      },
    ];
    const sns = { name: 'sns', roleArn: 'sns.amazonaws.com', statements: [] };
    const requests = [{ action: 'sqs:SendMessage', resource: queue }];
    expect(authorize({ principal: sns, requests, resourcePolicies, ...ENV, sourceArn: topic })).toEqual({ allowed: true });
    expect(authorize({ principal: sns, requests, resourcePolicies, ...ENV })).toMatchObject({ allowed: false });
  });
});
