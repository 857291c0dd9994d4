import {
  AwsHttpRequest,
  IamRequest,
  mapAwsRequest,
  MappedRequest,
  MappingEnvironment,
  queueArnFromUrl,
  runTaskPassRoles,
} from './requests';

/**
 * The IAM calls a state machine's role makes for one Task state, from the state's `Resource` and its
 * effective parameters (after `Parameters`/`Arguments` are applied), as AWS documents for each
 * service integration. The local Step Functions engine runs tasks in-process, so they never reach
 * the gateway; the runner checks them with `authorize()` against the state machine's role.
 */
export function mapStateMachineTask(resource: string, parameters: Record<string, any> | undefined, env: MappingEnvironment): MappedRequest {
  const params = parameters ?? {};
  const prefix = (service: string) => `arn:aws:${service}:${env.region}:${env.account}`;

  // A Lambda function ARN as the Resource: the legacy direct invocation.
  if (/^arn:aws[\w-]*:lambda:/.test(resource)) {
    return { ok: true, operation: 'lambda:invoke', requests: [{ action: 'lambda:InvokeFunction', resource }] };
  }
  // Activities are polled by their workers; the state machine's role calls nothing.
  if (/^arn:aws[\w-]*:states:[^:]+:\d{12}:activity:/.test(resource)) return { ok: true, operation: 'activity', requests: [] };

  const integration = /^arn:aws[\w-]*:states:::([^:]+):([^.]+)(?:\.(sync(?::2)?|waitForTaskToken))?$/.exec(resource);
  const sdk = /^arn:aws[\w-]*:states:::aws-sdk:([^:]+):([^.]+)(?:\.waitForTaskToken)?$/.exec(resource);
  if (sdk) return mapSdkIntegration(sdk[1], sdk[2], params, env);
  if (!integration) return unmapped(resource);
  const [, service, api, pattern] = integration;
  const operation = `${service}:${api}${pattern ? `.${pattern}` : ''}`;
  const ok = (requests: IamRequest[]): MappedRequest => ({ ok: true, operation, requests });
  const missing = (field: string): MappedRequest => ({ ok: false, operation, reason: `task ${resource} without ${field}` });

  switch (`${service}:${api}`) {
    case 'lambda:invoke': {
      const name = params.FunctionName;
      if (typeof name !== 'string') return missing('FunctionName');
      const arn = name.startsWith('arn:') ? name : `${prefix('lambda')}:function:${name}`;
      return ok([{ action: 'lambda:InvokeFunction', resource: params.Qualifier ? `${arn}:${params.Qualifier}` : arn }]);
    }
    case 'ecs:runTask': {
      const definition = params.TaskDefinition;
      if (typeof definition !== 'string') return missing('TaskDefinition');
      const clusterName = typeof params.Cluster === 'string' ? params.Cluster.split('/').pop() : 'default';
      const clusterArn =
        typeof params.Cluster === 'string' && params.Cluster.startsWith('arn:')
          ? params.Cluster
          : `${prefix('ecs')}:cluster/${clusterName}`;
      const taskDefinition = definition.startsWith('arn:') ? definition : `${prefix('ecs')}:task-definition/${definition}`;
      const overrides = params.Overrides
        ? { taskRoleArn: params.Overrides.TaskRoleArn, executionRoleArn: params.Overrides.ExecutionRoleArn }
        : undefined;
      const requests: IamRequest[] = [
        { action: 'ecs:RunTask', resource: taskDefinition, context: { 'ecs:cluster': clusterArn } },
        ...runTaskPassRoles(taskDefinition, overrides, env),
      ];
      if (pattern === 'sync') {
        // Step Functions follows the task through a managed EventBridge rule and DescribeTasks.
        const rule = `${prefix('events')}:rule/StepFunctionsGetEventsForECSTaskRule`;
        requests.push(
          { action: 'ecs:DescribeTasks', resource: `${prefix('ecs')}:task/${clusterName}/*`, context: { 'ecs:cluster': clusterArn } },
          { action: 'events:PutTargets', resource: rule },
          { action: 'events:PutRule', resource: rule },
          { action: 'events:DescribeRule', resource: rule },
        );
      }
      return ok(requests);
    }
    case 'sns:publish': {
      const topic = params.TopicArn ?? params.TargetArn;
      if (typeof topic !== 'string') return missing('TopicArn');
      return ok([{ action: 'sns:Publish', resource: topic }]);
    }
    case 'sqs:sendMessage': {
      const arn = typeof params.QueueUrl === 'string' ? queueArnFromUrl(params.QueueUrl, env) : undefined;
      if (!arn) return missing('QueueUrl');
      return ok([{ action: 'sqs:SendMessage', resource: arn }]);
    }
    case 'dynamodb:getItem':
    case 'dynamodb:putItem':
    case 'dynamodb:updateItem':
    case 'dynamodb:deleteItem': {
      if (typeof params.TableName !== 'string') return missing('TableName');
      const table = params.TableName.startsWith('arn:') ? params.TableName : `${prefix('dynamodb')}:table/${params.TableName}`;
      return ok([{ action: `dynamodb:${api[0].toUpperCase()}${api.slice(1)}`, resource: table }]);
    }
    case 'states:startExecution': {
      const machine = params.StateMachineArn;
      if (typeof machine !== 'string') return missing('StateMachineArn');
      const requests: IamRequest[] = [{ action: 'states:StartExecution', resource: machine }];
      if (pattern?.startsWith('sync')) {
        const executions = machine.replace(':stateMachine:', ':execution:') + ':*';
        const rule = `${prefix('events')}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`;
        requests.push(
          { action: 'states:DescribeExecution', resource: executions },
          { action: 'events:PutTargets', resource: rule },
          { action: 'events:PutRule', resource: rule },
          { action: 'events:DescribeRule', resource: rule },
        );
      }
      return ok(requests);
    }
    case 'events:putEvents':
      return mapSdkIntegration('eventbridge', 'putEvents', params, env, operation);
    default:
      return unmapped(resource);
  }
}

function unmapped(resource: string): MappedRequest {
  return {
    ok: false,
    operation: resource,
    reason: `task resource ${resource} is not mapped to IAM actions locally; denied (the local gateway never allows by default)`,
  };
}

const JSON_TARGETS: Record<string, { signing: string; target: string }> = {
  dynamodb: { signing: 'dynamodb', target: 'DynamoDB_20120810' },
  sqs: { signing: 'sqs', target: 'AmazonSQS' },
  sfn: { signing: 'states', target: 'AWSStepFunctions' },
  ecs: { signing: 'ecs', target: 'AmazonEC2ContainerServiceV20141113' },
  eventbridge: { signing: 'events', target: 'AWSEvents' },
};

/**
 * `arn:aws:states:::aws-sdk:<service>:<apiAction>` takes the SDK's own input, so it maps through the
 * same request mapper as a real SDK call, by building the request that call would send.
 */
function mapSdkIntegration(
  service: string,
  api: string,
  params: Record<string, any>,
  env: MappingEnvironment,
  operation?: string,
): MappedRequest {
  const action = `${api[0].toUpperCase()}${api.slice(1)}`;
  const label = operation ?? `aws-sdk:${service}:${api}`;
  const base = { query: new URLSearchParams(), headers: {} as Record<string, string> };
  let request: AwsHttpRequest | undefined;
  const json = JSON_TARGETS[service];
  if (json) {
    request = {
      ...base,
      service: json.signing,
      method: 'POST',
      path: '/',
      headers: { 'x-amz-target': `${json.target}.${action}` },
      body: Buffer.from(JSON.stringify(params)),
    };
  } else if (service === 'sns') {
    const form = new URLSearchParams({ Action: action });
    for (const [key, value] of Object.entries(params)) if (typeof value === 'string') form.set(key, value);
    request = { ...base, service: 'sns', method: 'POST', path: '/', body: Buffer.from(form.toString()) };
  } else if (service === 's3' && typeof params.Bucket === 'string') {
    const key = typeof params.Key === 'string' ? `/${params.Key.split('/').map(encodeURIComponent).join('/')}` : '';
    const path = `/${encodeURIComponent(params.Bucket)}${key}`;
    const query = new URLSearchParams();
    if (typeof params.VersionId === 'string') query.set('versionId', params.VersionId);
    const s3: Record<string, { method: string; headers?: Record<string, string>; query?: string }> = {
      GetObject: { method: 'GET' },
      HeadObject: { method: 'HEAD' },
      PutObject: { method: 'PUT' },
      DeleteObject: { method: 'DELETE' },
      CopyObject: { method: 'PUT', headers: { 'x-amz-copy-source': String(params.CopySource ?? '') } },
      ListObjectsV2: { method: 'GET', query: 'list-type' },
    };
    const shape = s3[action];
    if (shape) {
      if (shape.query) query.set(shape.query, '2');
      if (typeof params.Prefix === 'string') query.set('prefix', params.Prefix);
      request = { service: 's3', method: shape.method, path, query, headers: shape.headers ?? {} };
    }
  }
  if (!request) return unmapped(`arn:aws:states:::aws-sdk:${service}:${api}`);
  const mapped = mapAwsRequest(request, env);
  return { ...mapped, operation: label };
}
