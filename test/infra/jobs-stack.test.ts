import { Match, type Template } from 'aws-cdk-lib/assertions';
import { IMPORT_CONTAINER_NAME } from '../../lib/constructs/import-job';
import { ECS_START_ERRORS, IMPORT_STATES, LAMBDA_SERVICE_ERRORS, LAMBDA_TIMEOUT_ERROR } from '../../lib/constructs/import-pipeline';
import { synthesizedApp, type SynthesizedStack } from '../support/shared-synthesis';
import { templateOf } from '../support/synth';

const stages = synthesizedApp();
const dev = stages.dev;
const prod = stages.prod;
const jobs = templateOf(prod.jobs);
const containers = templateOf(prod.containers);
const stateful = templateOf(prod.stateful);

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/**
 * The state machine's definition, each token replaced by what it names: an Fn::GetAtt by the
 * logical ID, a Ref by the referenced name, a cross-stack output by the output's name.
 */
function definitionOf(template: Template): { States: Record<string, Record<string, unknown>>; TimeoutSeconds: number } {
  const [machine] = Object.values(resourcesOf(template, 'AWS::StepFunctions::StateMachine'));
  const join = machine.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] };
  const text = join['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const token = part as { 'Fn::GetAtt'?: [string, string]; Ref?: string; 'Fn::GetStackOutput'?: { OutputName: string } };
      const name = token['Fn::GetAtt']?.[0] ?? token.Ref ?? token['Fn::GetStackOutput']?.OutputName;
      if (name === undefined) throw new Error(`Unexpected token in the definition: ${JSON.stringify(part)}`);
      return name;
    })
    .join('');
  return JSON.parse(text) as ReturnType<typeof definitionOf>;
}

/** Every IAM statement attached to the role of the function (an AppFunction) at a construct path of the stack. */
function statementsOf(
  stack: SynthesizedStack,
  template: Template,
  functionPath: string,
): { Action: string | string[]; Resource: unknown }[] {
  const roleId = stack.logicalIdAt(`${functionPath}/Role/Resource`);
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement);
}

const actionsOf = (statements: { Action: string | string[] }[]) => statements.flatMap((statement) => [statement.Action].flat());

describe('scheduled jobs', () => {
  it('runs the daily report at 09:00 in the configured time zone', () => {
    jobs.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 9 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/London',
      State: 'ENABLED',
      Target: Match.objectLike({ Input: JSON.stringify({ scheduledTime: '<aws.scheduler.scheduled-time>' }) }),
    });
  });

  it('runs the weekly cleanup every 7 days', () => {
    jobs.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(7 days)', State: 'ENABLED' });
  });

  it('gives every schedule a retry policy and its own dead-letter queue', () => {
    const schedules = Object.values(resourcesOf(jobs, 'AWS::Scheduler::Schedule'));
    // One function per job, each an AppFunction under the ScheduledJobs construct.
    const jobCount = prod.jobs
      .elementsUnder('ScheduledJobs')
      .filter((element) => /^ScheduledJobs\/[^/]+\/Function\/Resource$/.test(element.path)).length;
    expect(jobCount).toBeGreaterThan(0);
    expect(schedules).toHaveLength(jobCount);
    const deadLetterQueues = schedules.map((schedule) => {
      const target = schedule.Properties.Target as { RetryPolicy: unknown; DeadLetterConfig: { Arn: { 'Fn::GetAtt': [string, string] } } };
      expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: expect.any(Number) });
      return target.DeadLetterConfig.Arn['Fn::GetAtt'][0];
    });
    expect(new Set(deadLetterQueues).size).toBe(jobCount);
    for (const queueId of deadLetterQueues) {
      expect(jobs.toJSON().Resources[queueId]).toMatchObject({ Type: 'AWS::SQS::Queue', Properties: { SqsManagedSseEnabled: true } });
    }
  });

  it('puts the schedules in one schedule group of the environment', () => {
    jobs.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    // CDK generates the group's name (unique per environment) and writes it into each schedule.
    const [group] = Object.values(resourcesOf(jobs, 'AWS::Scheduler::ScheduleGroup'));
    expect(group.Properties.Name).toMatch(/^prodJobs-/);
    for (const schedule of Object.values(resourcesOf(jobs, 'AWS::Scheduler::Schedule'))) {
      expect(schedule.Properties.GroupName).toBe(group.Properties.Name);
    }
  });

  it('deploys the schedules disabled where the environment switches them off', () => {
    const devJobs = templateOf(dev.jobs);
    for (const schedule of Object.values(resourcesOf(devJobs, 'AWS::Scheduler::Schedule'))) {
      expect(schedule.Properties.State).toBe('DISABLED');
    }
  });

  it('lets the cleanup delete only expired-object prefixes, and gives it no access to the users table', () => {
    const statements = statementsOf(prod.jobs, jobs, 'ScheduledJobs/WeeklyCleanup');
    expect(actionsOf(statements).some((action) => action.startsWith('dynamodb:'))).toBe(false);
    const deletes = statements.filter((statement) => actionsOf([statement]).some((action) => action.startsWith('s3:DeleteObject')));
    const deletedPatterns = JSON.stringify(deletes.map((statement) => statement.Resource));
    for (const prefix of ['incoming/*', 'imports/*', 'import-runs/*']) expect(deletedPatterns).toContain(`/${prefix}`);
    expect(deletedPatterns).not.toContain('reports/');
  });

  it('lets the daily report read one counters item, write reports and publish to the reports topic', () => {
    const actions = actionsOf(statementsOf(prod.jobs, jobs, 'ScheduledJobs/DailyReport'));
    expect(actions.filter((action) => action.startsWith('dynamodb:'))).toEqual(['dynamodb:GetItem']);
    expect(actions).toContain('sns:Publish');
  });
});

describe('import pipeline', () => {
  const definition = definitionOf(jobs);
  const tasks = Object.entries(definition.States).filter(([, state]) => state.Type === 'Task');
  const lambdaTasks = tasks.filter(([name]) => name !== IMPORT_STATES.runJob);
  const runJob = definition.States[IMPORT_STATES.runJob];

  it('is a Standard workflow that logs every event and is traced', () => {
    jobs.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({
        Level: 'ALL',
        Destinations: [Match.objectLike({ CloudWatchLogsLogGroup: Match.anyValue() })],
      }),
    });
  });

  it('has the Validate, Transform, Load, import job and record tasks', () => {
    expect(tasks.map(([name]) => name).sort()).toEqual(
      [
        IMPORT_STATES.validate,
        IMPORT_STATES.transform,
        IMPORT_STATES.load,
        IMPORT_STATES.recordSuccess,
        IMPORT_STATES.runJob,
        IMPORT_STATES.recordJobSuccess,
        IMPORT_STATES.recordFailure,
      ].sort(),
    );
  });

  it.each(lambdaTasks)('retries Lambda service errors and throttling with backoff in %s', (_name, state) => {
    const retriers = state.Retry as { ErrorEquals: string[]; BackoffRate: number; MaxAttempts: number }[];
    const serviceRetrier = retriers.find((retrier) => retrier.ErrorEquals.includes('Lambda.ServiceException'));
    expect(serviceRetrier?.ErrorEquals).toEqual(expect.arrayContaining([...LAMBDA_SERVICE_ERRORS]));
    expect(serviceRetrier?.BackoffRate).toBeGreaterThan(1);
    expect(retriers.some((retrier) => retrier.ErrorEquals.includes('ProvisionedThroughputExceededException'))).toBe(true);
  });

  it.each(tasks)('catches every error of %s into a state that records it', (name, state) => {
    const catchers = state.Catch as { ErrorEquals: string[]; Next: string; ResultPath: string }[];
    expect(catchers).toEqual([
      {
        ErrorEquals: ['States.ALL'],
        Next: name === IMPORT_STATES.recordFailure ? IMPORT_STATES.failed : IMPORT_STATES.recordFailure,
        ResultPath: name === IMPORT_STATES.recordFailure ? '$.recordFailureError' : '$.failure',
      },
    ]);
  });

  it('runs Load again while it reports done: false, and retries a Load that timed out (it resumes from its checkpoint)', () => {
    expect(definition.States[IMPORT_STATES.load]).toMatchObject({ Next: IMPORT_STATES.isLoadDone });
    expect(definition.States[IMPORT_STATES.isLoadDone]).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.load.done', BooleanEquals: false, Next: IMPORT_STATES.load }],
      Default: IMPORT_STATES.recordSuccess,
    });
    const retriers = (definition.States[IMPORT_STATES.load] as unknown as { Retry: { ErrorEquals: string[] }[] }).Retry;
    expect(retriers.some((retrier) => retrier.ErrorEquals.includes(LAMBDA_TIMEOUT_ERROR))).toBe(true);
  });

  it('sends files above the threshold to the Fargate import job, and the rest to Transform', () => {
    expect(definition.States[IMPORT_STATES.isTooLarge]).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.validation.sizeBytes', NumericGreaterThan: 3 * 1024 * 1024, Next: IMPORT_STATES.runJob }],
      Default: IMPORT_STATES.transform,
    });
    expect(definition.States[IMPORT_STATES.failed]).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.failure.Error',
      CausePath: '$.failure.Cause',
    });
  });

  it('runs the import job to completion (.sync) on the cluster, in the private subnets, with its own security group', () => {
    expect(runJob).toMatchObject({
      Resource: 'arn:AWS::Partition:states:::ecs:runTask.sync',
      Parameters: {
        Cluster: expect.stringMatching(/Cluster.*Arn/),
        TaskDefinition: expect.stringMatching(/ImportJobTaskDefinition/),
        LaunchType: 'FARGATE',
        NetworkConfiguration: {
          AwsvpcConfiguration: {
            Subnets: [
              expect.stringMatching(/PrivateSubnet1/),
              expect.stringMatching(/PrivateSubnet2/),
              expect.stringMatching(/PrivateSubnet3/),
            ],
            SecurityGroups: [expect.stringMatching(/ImportJobSecurityGroup/)],
          },
        },
      },
    });
  });

  it('passes the import job the key, import ID, submission time and the validated object version as container environment', () => {
    expect(runJob.Parameters).toMatchObject({
      Overrides: {
        ContainerOverrides: [
          {
            Name: IMPORT_CONTAINER_NAME,
            Environment: [
              { Name: 'IMPORT_KEY', 'Value.$': '$.key' },
              { Name: 'IMPORT_ID', 'Value.$': '$.importId' },
              { Name: 'IMPORT_SUBMITTED_AT', 'Value.$': '$.submittedAt' },
              { Name: 'IMPORT_VERSION_ID', 'Value.$': '$.validation.objectVersion' },
            ],
          },
        ],
      },
    });
  });

  it('retries starting the import job with backoff, retries a failed run once, and keeps the state small', () => {
    expect(runJob.Retry).toEqual([
      { ErrorEquals: [...ECS_START_ERRORS], IntervalSeconds: 30, MaxAttempts: 5, BackoffRate: 2, JitterStrategy: 'FULL' },
      { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 60, MaxAttempts: 1 },
    ]);
    expect(runJob.ResultPath).toBeNull();
    // The job's 8 hours plus 10 minutes to start and stop.
    expect(runJob.TimeoutSeconds).toBe(8 * 3600 + 600);
  });

  it('gives the execution time for both attempts of the import job', () => {
    expect(definition.TimeoutSeconds).toBeGreaterThanOrEqual(2 * (runJob.TimeoutSeconds as number) + 60 + 30 * (1 + 2 + 4 + 8));
  });

  it('records a finished import job from its checkpoint, then succeeds', () => {
    expect(runJob.Next).toBe(IMPORT_STATES.recordJobSuccess);
    expect(definition.States[IMPORT_STATES.recordJobSuccess]).toMatchObject({
      Parameters: { outcome: 'JOB_SUCCEEDED', 'importId.$': '$.importId' },
      ResultPath: null,
      Next: IMPORT_STATES.succeeded,
    });
  });

  it('lets the state machine run only the import task definition and pass only its two roles', () => {
    const roleId = prod.jobs.logicalIdAt('ImportPipeline/StateMachine/Role/Resource');
    const statements = Object.values(resourcesOf(jobs, 'AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`))
      .flatMap(
        (policy) => (policy.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement,
      );
    const resourcesFor = (action: string) =>
      JSON.stringify(statements.filter((statement) => actionsOf([statement]).includes(action)).map((statement) => statement.Resource));
    // Every revision of the family, built in this stack: a revision read from Containers would go stale.
    const family = Object.values(resourcesOf(containers, 'AWS::ECS::TaskDefinition')).find((task) =>
      /ImportJob/.test(String(task.Properties.Family)),
    )!.Properties.Family;
    expect(resourcesFor('ecs:RunTask')).toContain(`:task-definition/${family}:*`);
    expect(resourcesFor('ecs:RunTask')).not.toContain('Fn::GetStackOutput');
    const passed = resourcesFor('iam:PassRole');
    expect(passed).toMatch(/ImportJobTaskDefinitionTaskRole/);
    expect(passed).toMatch(/ImportJobTaskDefinitionExecutionRole/);
    expect(passed.match(/Role[0-9A-F]{8}/g)).toHaveLength(2);
  });

  it('lets the record-outcome function read the checkpoints table and nothing more of it', () => {
    const statements = statementsOf(prod.jobs, jobs, 'ImportPipeline/RecordOutcomeFunction');
    const onCheckpoints = statements.filter((statement) => JSON.stringify(statement.Resource).includes('ImportCheckpointsTable'));
    expect(actionsOf(onCheckpoints)).toEqual(['dynamodb:GetItem']);
  });

  it('lets Load create and read users and keep its checkpoint, and nothing else of DynamoDB', () => {
    const statements = statementsOf(prod.jobs, jobs, 'ImportPipeline/LoadFunction');
    const on = (table: string) =>
      actionsOf(statements.filter((statement) => JSON.stringify(statement.Resource).includes(table)))
        .filter((action) => action.startsWith('dynamodb:'))
        .sort();
    expect(on('UsersTable')).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(on('ImportCheckpointsTable')).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect([...new Set(actionsOf(statements).filter((action) => action.startsWith('dynamodb:')))].sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
  });

  it('lets the state machine invoke exactly the pipeline functions', () => {
    const roleId = prod.jobs.logicalIdAt('ImportPipeline/StateMachine/Role/Resource');
    const statements = Object.values(resourcesOf(jobs, 'AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`))
      .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: { Action: string; Resource: unknown }[] }).Statement)
      .filter((statement) => statement.Action === 'lambda:InvokeFunction');
    const invoked = new Set(JSON.stringify(statements.map((statement) => statement.Resource)).match(/[A-Za-z0-9]+Function[0-9A-F]{8}/g));
    const pipelineFunctions = ['ValidateFunction', 'TransformFunction', 'LoadFunction', 'RecordOutcomeFunction'];
    expect([...invoked].sort()).toEqual(
      pipelineFunctions.map((name) => prod.jobs.logicalIdAt(`ImportPipeline/${name}/Function/Resource`)).sort(),
    );
  });

  it('starts executions from the imports queue, reporting failed messages one by one', () => {
    jobs.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'], BatchSize: 10 });
    const actions = actionsOf(statementsOf(prod.jobs, jobs, 'ImportPipeline/StartImportFunction'));
    expect(actions).toContain('states:StartExecution');
  });
});

describe('imports in the stateful stack', () => {
  it('subscribes the imports queue to upload events for imports/ only, filtering on the message body', () => {
    const subscriptions = Object.values(resourcesOf(stateful, 'AWS::SNS::Subscription'));
    const importsQueueId = prod.stateful.logicalIdAt('ImportsQueue/Resource');
    const toImports = subscriptions.filter((subscription) => JSON.stringify(subscription.Properties.Endpoint).includes(importsQueueId));
    expect(toImports).toHaveLength(1);
    expect(toImports[0].Properties).toMatchObject({
      Protocol: 'sqs',
      FilterPolicyScope: 'MessageBody',
      FilterPolicy: { Records: { s3: { object: { key: [{ prefix: 'imports/' }] } } } },
    });
  });

  it('sends an imports message to the dead-letter queue after 5 receives, with a visibility timeout of 6 consumer timeouts', () => {
    stateful.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 180,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 5 },
    });
    const startImport = jobs.toJSON().Resources[prod.jobs.logicalIdAt('ImportPipeline/StartImportFunction/Function/Resource')];
    expect(startImport.Type).toBe('AWS::Lambda::Function');
    const consumerTimeout = ((startImport.Properties.Timeout as number | undefined) ?? 0) * 6;
    expect(consumerTimeout).toBeLessThanOrEqual(180);
  });

  it('keeps import statuses in a table whose finished items expire', () => {
    stateful.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });
});

describe('import status route', () => {
  it('serves GET /imports/{id} from the get-import function', () => {
    const api = templateOf(prod.api);
    const apiResources = resourcesOf(api, 'AWS::ApiGateway::Resource');
    const functionId = prod.api.logicalIdAt('GetImport/Function/Resource');
    const methods = Object.values(resourcesOf(api, 'AWS::ApiGateway::Method')).filter((method) =>
      JSON.stringify(method.Properties.Integration).includes(functionId),
    );
    expect(methods).toHaveLength(1);
    expect(methods[0].Properties.HttpMethod).toBe('GET');
    const idResource = apiResources[(methods[0].Properties.ResourceId as { Ref: string }).Ref];
    expect(idResource.Properties.PathPart).toBe('{id}');
    expect(apiResources[(idResource.Properties.ParentId as { Ref: string }).Ref].Properties.PathPart).toBe('imports');
  });
});
