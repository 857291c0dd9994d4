/**
 * App-wide policies, each a pure function from one environment's templates to the violations it
 * finds (one message per violation, naming the stack and logical ID). test/infra/policies.test.ts
 * runs them on every environment and feeds each a hand-made violation, so none can pass vacuously.
 */
import {
  asList,
  describeRef,
  propertyAt,
  resolveFunction,
  resolveReference,
  resourcesOfType,
  sameResource,
  type AppTemplates,
  type ResourceEntry,
  type ResourceRef,
} from './template-graph';

/** Every resource that some other resource names as the place its failures go. */
function deadLetterTargets(app: AppTemplates): ResourceRef[] {
  const targets: (ResourceEntry | undefined)[] = [];
  const add = (from: ResourceEntry, value: unknown) => targets.push(resolveReference(app, from.stack, value));
  for (const queue of resourcesOfType(app, 'AWS::SQS::Queue')) add(queue, redriveTarget(queue.resource.Properties?.RedrivePolicy));
  for (const sub of resourcesOfType(app, 'AWS::SNS::Subscription')) add(sub, redriveTarget(sub.resource.Properties?.RedrivePolicy));
  for (const config of resourcesOfType(app, 'AWS::Lambda::EventInvokeConfig')) {
    add(config, propertyAt(config.resource.Properties, ['DestinationConfig', 'OnFailure', 'Destination']));
  }
  for (const mapping of resourcesOfType(app, 'AWS::Lambda::EventSourceMapping')) {
    add(mapping, propertyAt(mapping.resource.Properties, ['DestinationConfig', 'OnFailure', 'Destination']));
  }
  for (const fn of resourcesOfType(app, 'AWS::Lambda::Function')) add(fn, propertyAt(fn.resource.Properties, ['DeadLetterConfig', 'TargetArn']));
  for (const schedule of resourcesOfType(app, 'AWS::Scheduler::Schedule')) {
    add(schedule, propertyAt(schedule.resource.Properties, ['Target', 'DeadLetterConfig', 'Arn']));
  }
  for (const rule of resourcesOfType(app, 'AWS::Events::Rule')) {
    for (const target of asList(rule.resource.Properties?.Targets)) add(rule, propertyAt(target, ['DeadLetterConfig', 'Arn']));
  }
  return targets.filter((target): target is ResourceEntry => target !== undefined);
}

/** The `deadLetterTargetArn` of a RedrivePolicy, which CloudFormation also accepts as a JSON string. */
function redriveTarget(redrivePolicy: unknown): unknown {
  const policy = typeof redrivePolicy === 'string' ? (JSON.parse(redrivePolicy) as unknown) : redrivePolicy;
  return propertyAt(policy, ['deadLetterTargetArn']);
}

/** Every SQS queue has a dead-letter queue (a RedrivePolicy), or is where something else's failures go. */
export function queuesWithoutDeadLetterQueue(app: AppTemplates): string[] {
  const dlqs = deadLetterTargets(app);
  return resourcesOfType(app, 'AWS::SQS::Queue')
    .filter((queue) => redriveTarget(queue.resource.Properties?.RedrivePolicy) === undefined)
    .filter((queue) => !dlqs.some((dlq) => sameResource(dlq, queue)))
    .map((queue) => `${describeRef(queue)}: SQS queue has no RedrivePolicy and is no queue's, subscription's, function's or schedule's dead-letter target`);
}

/** An event source mapping reading from SQS, with the queue and function it connects when they resolve. */
interface SqsMapping {
  readonly mapping: ResourceEntry;
  readonly queue: ResourceEntry | undefined;
}

/**
 * Every event source mapping that reads from SQS: its source resolves to an AWS::SQS::Queue, is a
 * literal SQS ARN, or does not resolve at all (reported as SQS so that an unknown source cannot
 * slip past the SQS policies; the stream sources of this app always resolve to their table).
 */
function sqsEventSourceMappings(app: AppTemplates): SqsMapping[] {
  return resourcesOfType(app, 'AWS::Lambda::EventSourceMapping').flatMap((mapping): SqsMapping[] => {
    const sourceArn = mapping.resource.Properties?.EventSourceArn;
    const source = resolveReference(app, mapping.stack, sourceArn);
    if (source !== undefined) return source.resource.Type === 'AWS::SQS::Queue' ? [{ mapping, queue: source }] : [];
    if (typeof sourceArn === 'string' && !sourceArn.includes(':sqs:')) return [];
    return [{ mapping, queue: undefined }];
  });
}

/** Lambda's default function timeout and SQS's default visibility timeout, in seconds. */
const DEFAULT_FUNCTION_TIMEOUT = 3;
const DEFAULT_VISIBILITY_TIMEOUT = 30;

/**
 * AWS's advice: a queue's visibility timeout is at least 6 times its consumer's timeout plus the
 * batching window, so a message is not handed to a second consumer while the first still works on it.
 */
export function visibilityTimeoutsTooShort(app: AppTemplates): string[] {
  return sqsEventSourceMappings(app).flatMap(({ mapping, queue }) => {
    const fn = resolveFunction(app, mapping.stack, mapping.resource.Properties?.FunctionName);
    if (queue === undefined || fn === undefined) {
      return [`${describeRef(mapping)}: SQS event source mapping whose queue or function cannot be resolved, so its visibility timeout cannot be checked`];
    }
    const timeout = Number(fn.fn.resource.Properties?.Timeout ?? DEFAULT_FUNCTION_TIMEOUT);
    const window = Number(mapping.resource.Properties?.MaximumBatchingWindowInSeconds ?? 0);
    const visibility = Number(queue.resource.Properties?.VisibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT);
    const needed = 6 * timeout + window;
    return visibility >= needed
      ? []
      : [
          `${describeRef(queue)}: visibility timeout ${visibility}s is below 6 × ${timeout}s (timeout of ${describeRef(fn.fn)}) + ${window}s (batching window of ${describeRef(mapping)}) = ${needed}s`,
        ];
  });
}

/** Every SQS event source mapping reports partial batch failures, so one bad message does not fail its batch. */
export function mappingsWithoutPartialBatchResponse(app: AppTemplates): string[] {
  return sqsEventSourceMappings(app)
    .filter(({ mapping }) => !asList(mapping.resource.Properties?.FunctionResponseTypes).includes('ReportBatchItemFailures'))
    .map(({ mapping }) => `${describeRef(mapping)}: SQS event source mapping without FunctionResponseTypes ['ReportBatchItemFailures']`);
}

/** `alias/aws/sqs` or `alias/aws/sns`, as an alias name or inside an alias ARN. */
function isAwsManagedKey(keyId: unknown): boolean {
  if (keyId === undefined) return false;
  const text = typeof keyId === 'string' ? keyId : JSON.stringify(keyId);
  return /alias\/aws\/(sqs|sns)\b/.test(text);
}

/**
 * Queues and topics that S3 or SNS delivers into: SNS can't use the AWS-managed SQS key and S3 can't
 * use the AWS-managed SNS key (their key policies trust only the account), and the delivery fails silently.
 */
export function deliveryTargetsWithAwsManagedKey(app: AppTemplates): string[] {
  const deliveries: { from: ResourceEntry; value: unknown; service: string }[] = [];
  for (const sub of resourcesOfType(app, 'AWS::SNS::Subscription')) {
    if (sub.resource.Properties?.Protocol === 'sqs') deliveries.push({ from: sub, value: sub.resource.Properties.Endpoint, service: 'SNS' });
  }
  for (const notifications of resourcesOfType(app, 'Custom::S3BucketNotifications')) {
    const config = notifications.resource.Properties?.NotificationConfiguration;
    for (const topic of asList(propertyAt(config, ['TopicConfigurations']))) {
      deliveries.push({ from: notifications, value: propertyAt(topic, ['TopicArn']), service: 'S3' });
    }
    for (const queue of asList(propertyAt(config, ['QueueConfigurations']))) {
      deliveries.push({ from: notifications, value: propertyAt(queue, ['QueueArn']), service: 'S3' });
    }
  }
  for (const bucket of resourcesOfType(app, 'AWS::S3::Bucket')) {
    const config = bucket.resource.Properties?.NotificationConfiguration;
    for (const topic of asList(propertyAt(config, ['TopicConfigurations']))) deliveries.push({ from: bucket, value: propertyAt(topic, ['Topic']), service: 'S3' });
    for (const queue of asList(propertyAt(config, ['QueueConfigurations']))) deliveries.push({ from: bucket, value: propertyAt(queue, ['Queue']), service: 'S3' });
  }
  return deliveries.flatMap(({ from, value, service }) => {
    const target = resolveReference(app, from.stack, value);
    if (target === undefined) return [`${describeRef(from)}: ${service} delivers to ${JSON.stringify(value)}, which cannot be resolved to check its encryption key`];
    return isAwsManagedKey(target.resource.Properties?.KmsMasterKeyId)
      ? [`${describeRef(target)}: ${service} delivers into it (from ${describeRef(from)}) but it is encrypted with the AWS-managed key ${JSON.stringify(target.resource.Properties?.KmsMasterKeyId)}`]
      : [];
  });
}

/** Something that invokes `target` asynchronously. */
interface AsyncInvocation {
  readonly caller: ResourceEntry;
  readonly target: unknown;
}

/**
 * Every asynchronous target retries and keeps what still fails: schedule and rule targets have a
 * RetryPolicy and a DeadLetterConfig, and every function invoked asynchronously (by a schedule, a
 * rule, S3, SNS, or configured with an EventInvokeConfig) has an on-failure destination or a DLQ.
 */
export function asyncTargetsWithoutFailureHandling(app: AppTemplates): string[] {
  const violations: string[] = [];
  const invocations: AsyncInvocation[] = [];
  for (const schedule of resourcesOfType(app, 'AWS::Scheduler::Schedule')) {
    const target = schedule.resource.Properties?.Target;
    if (propertyAt(target, ['RetryPolicy']) === undefined) violations.push(`${describeRef(schedule)}: schedule target without RetryPolicy`);
    if (propertyAt(target, ['DeadLetterConfig', 'Arn']) === undefined) violations.push(`${describeRef(schedule)}: schedule target without DeadLetterConfig`);
    invocations.push({ caller: schedule, target: propertyAt(target, ['Arn']) });
  }
  for (const rule of resourcesOfType(app, 'AWS::Events::Rule')) {
    for (const target of asList(rule.resource.Properties?.Targets)) {
      const id = String(propertyAt(target, ['Id']));
      if (propertyAt(target, ['RetryPolicy']) === undefined) violations.push(`${describeRef(rule)}: rule target ${id} without RetryPolicy`);
      if (propertyAt(target, ['DeadLetterConfig', 'Arn']) === undefined) violations.push(`${describeRef(rule)}: rule target ${id} without DeadLetterConfig`);
      invocations.push({ caller: rule, target: propertyAt(target, ['Arn']) });
    }
  }
  for (const sub of resourcesOfType(app, 'AWS::SNS::Subscription')) {
    if (sub.resource.Properties?.Protocol === 'lambda') invocations.push({ caller: sub, target: sub.resource.Properties.Endpoint });
  }
  for (const notifications of resourcesOfType(app, 'Custom::S3BucketNotifications')) {
    for (const config of asList(propertyAt(notifications.resource.Properties, ['NotificationConfiguration', 'LambdaFunctionConfigurations']))) {
      invocations.push({ caller: notifications, target: propertyAt(config, ['LambdaFunctionArn']) });
    }
  }
  for (const bucket of resourcesOfType(app, 'AWS::S3::Bucket')) {
    for (const config of asList(propertyAt(bucket.resource.Properties, ['NotificationConfiguration', 'LambdaConfigurations']))) {
      invocations.push({ caller: bucket, target: propertyAt(config, ['Function']) });
    }
  }
  const invokeConfigs = resourcesOfType(app, 'AWS::Lambda::EventInvokeConfig').map((config) => ({
    config,
    fn: resolveFunction(app, config.stack, config.resource.Properties?.FunctionName)?.fn,
    qualifier: config.resource.Properties?.Qualifier,
    onFailure: propertyAt(config.resource.Properties, ['DestinationConfig', 'OnFailure', 'Destination']),
  }));

  const callees: { caller: ResourceEntry; fn: ResourceEntry; qualifier: unknown }[] = [];
  for (const { caller, target } of invocations) {
    const callee = resolveFunction(app, caller.stack, target);
    if (callee !== undefined) callees.push({ caller, fn: callee.fn, qualifier: callee.qualifier });
    // Schedules and rules may target other services (queues, state machines): only functions are
    // checked here, but a literal function ARN that cannot be followed is reported.
    else if (resolveReference(app, caller.stack, target) === undefined && JSON.stringify(target ?? '').includes(':lambda:')) {
      violations.push(`${describeRef(caller)}: invokes a function asynchronously that cannot be resolved to check its failure handling`);
    }
  }
  for (const { config, fn, qualifier } of invokeConfigs) {
    if (fn === undefined) violations.push(`${describeRef(config)}: EventInvokeConfig whose function cannot be resolved`);
    else callees.push({ caller: config, fn, qualifier });
  }

  for (const { caller, fn, qualifier } of callees) {
    const hasDlq = propertyAt(fn.resource.Properties, ['DeadLetterConfig', 'TargetArn']) !== undefined;
    const hasDestination = invokeConfigs.some(
      (c) => sameResource(c.fn, fn) && c.onFailure !== undefined && (qualifier === undefined || c.qualifier === qualifier),
    );
    if (!hasDlq && !hasDestination) {
      violations.push(
        `${describeRef(fn)}: invoked asynchronously by ${describeRef(caller)} (qualifier ${typeof qualifier === 'string' ? qualifier : 'a version'}) without an EventInvokeConfig DestinationConfig.OnFailure or a DeadLetterConfig`,
      );
    }
  }
  return [...new Set(violations)];
}

/**
 * Functions that CDK creates for its own custom resources: their code, runtime and logging are
 * CDK's, not the project's, and AppFunction's defaults cannot reach them. Matched by logical ID.
 */
export const FRAMEWORK_FUNCTIONS: readonly { readonly pattern: RegExp; readonly reason: string }[] = [
  {
    // aws-s3's BucketNotificationsHandler: a singleton per stack for Custom::S3BucketNotifications.
    pattern: /^BucketNotificationsHandler[0-9a-f]{32}[0-9A-F]{8}$/,
    reason: "CDK's S3 notifications handler: inline Python, a runtime CDK picks, and no props for its log group or architecture; it runs only on deployment.",
  },
  {
    // CustomResourceProvider handlers, e.g. CustomS3AutoDeleteObjects (autoDeleteObjects in dev)
    // and CustomVpcRestrictDefaultSG (restrictDefaultSecurityGroup).
    pattern: /^Custom[A-Za-z0-9]+CustomResourceProviderHandler[0-9A-F]{8}$/,
    reason: "CDK's CustomResourceProvider handlers: their code, runtime and role are CDK's and expose no logging or architecture options; they run only on deployment.",
  },
];

/** Every project function logs to an explicit log group with retention, on arm64 and the project runtime. */
export function functionsOffProjectDefaults(app: AppTemplates, runtime: string): string[] {
  return resourcesOfType(app, 'AWS::Lambda::Function')
    .filter((fn) => !FRAMEWORK_FUNCTIONS.some((exempt) => exempt.pattern.test(fn.logicalId)))
    .flatMap((fn) => {
      const props = fn.resource.Properties ?? {};
      const violations: string[] = [];
      const logGroup = resolveReference(app, fn.stack, propertyAt(props, ['LoggingConfig', 'LogGroup']));
      if (logGroup?.resource.Type !== 'AWS::Logs::LogGroup') {
        violations.push(`${describeRef(fn)}: LoggingConfig.LogGroup does not name an AWS::Logs::LogGroup of the app`);
      } else if (logGroup.resource.Properties?.RetentionInDays === undefined) {
        violations.push(`${describeRef(fn)}: its log group ${describeRef(logGroup)} has no RetentionInDays`);
      }
      if (JSON.stringify(props.Architectures) !== JSON.stringify(['arm64'])) {
        violations.push(`${describeRef(fn)}: Architectures ${JSON.stringify(props.Architectures ?? ['x86_64'])}, not ['arm64']`);
      }
      if (props.Runtime !== runtime) violations.push(`${describeRef(fn)}: Runtime ${String(props.Runtime)}, not the project's ${runtime}`);
      return violations;
    });
}

/** Every log group expires its events. */
export function logGroupsWithoutRetention(app: AppTemplates): string[] {
  return resourcesOfType(app, 'AWS::Logs::LogGroup')
    .filter((group) => group.resource.Properties?.RetentionInDays === undefined)
    .map((group) => `${describeRef(group)}: log group without RetentionInDays (kept, and billed, forever)`);
}

const DATA_STORES = ['AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable', 'AWS::S3::Bucket'];

/** Tables and buckets are retained on stack deletion and on replacement, and tables have PITR (for environments whose data must survive). */
export function dataStoresNotRetained(app: AppTemplates): string[] {
  return DATA_STORES.flatMap((type) => resourcesOfType(app, type)).flatMap((store) => {
    const violations: string[] = [];
    if (store.resource.DeletionPolicy !== 'Retain') violations.push(`${describeRef(store)}: DeletionPolicy ${String(store.resource.DeletionPolicy)}, not Retain`);
    if (store.resource.UpdateReplacePolicy !== 'Retain') {
      violations.push(`${describeRef(store)}: UpdateReplacePolicy ${String(store.resource.UpdateReplacePolicy)}, not Retain`);
    }
    if (store.resource.Type === 'AWS::DynamoDB::Table') {
      const pitr = propertyAt(store.resource.Properties, ['PointInTimeRecoverySpecification', 'PointInTimeRecoveryEnabled']);
      if (pitr !== true) violations.push(`${describeRef(store)}: table without point-in-time recovery`);
    }
    return violations;
  });
}

/**
 * Actions that may be granted on `Resource: "*"`, because the service offers no resource-level
 * permission for them. Each set was reviewed; anything else on "*" fails the policy.
 */
export const WILDCARD_RESOURCE_ALLOWED: readonly { readonly actions: readonly string[]; readonly reason: string }[] = [
  {
    actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
    reason: 'Active tracing (Lambda and Step Functions): X-Ray supports no resource-level permissions for sending traces or reading sampling rules.',
  },
  {
    actions: ['ecr:GetAuthorizationToken'],
    reason: 'Fargate task execution roles pull images: the registry login token is account-wide and has no resource ARN.',
  },
  {
    actions: [
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ],
    reason: 'Step Functions logging to CloudWatch Logs: vended log deliveries support no resource-level permissions (AWS documents "*").',
  },
  {
    actions: ['ecs:DescribeTasks', 'ecs:StopTask'],
    reason:
      "The import state machine's ecs:runTask.sync integration watches and, on timeout or abort, stops the task it started; task ARNs exist only at run time, so the CDK grants these on \"*\". The same role may run only the import task definition.",
  },
];

/**
 * AWS managed policies attached to roles (their statements are not in the template). Only these are
 * accepted; each is attached by CDK itself.
 */
export const MANAGED_POLICIES_ALLOWED: readonly { readonly name: string; readonly reason: string }[] = [
  {
    name: 'service-role/AWSLambdaBasicExecutionRole',
    reason: "Roles of CDK's own custom resource handlers (FRAMEWORK_FUNCTIONS), which CDK creates with it; project functions get a role scoped to their log group.",
  },
  {
    name: 'service-role/AmazonAPIGatewayPushToCloudWatchLogs',
    reason: "API Gateway's account-wide CloudWatch role (config.api.manageAccountLogsRole): the policy AWS documents for it.",
  },
];

// AWS::KMS::Key KeyPolicy is not checked here: a key policy is a resource policy, where
// `Resource: "*"` means "this key" and the root-account statement hands access control to IAM.

/** An identity-based policy statement and where it was found. */
interface FoundStatement {
  readonly owner: ResourceEntry;
  readonly where: string;
  readonly statement: Record<string, unknown>;
}

function identityStatements(app: AppTemplates): FoundStatement[] {
  const found: FoundStatement[] = [];
  const collect = (owner: ResourceEntry, where: string, document: unknown) => {
    asList(propertyAt(document, ['Statement'])).forEach((statement, index) => {
      if (typeof statement === 'object' && statement !== null) found.push({ owner, where: `${where} statement ${index}`, statement: statement as Record<string, unknown> });
    });
  };
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const policy of resourcesOfType(app, type)) collect(policy, 'PolicyDocument', policy.resource.Properties?.PolicyDocument);
  }
  for (const type of ['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group']) {
    for (const principal of resourcesOfType(app, type)) {
      for (const inline of asList(principal.resource.Properties?.Policies)) {
        collect(principal, `inline policy ${String(propertyAt(inline, ['PolicyName']))}`, propertyAt(inline, ['PolicyDocument']));
      }
    }
  }
  return found;
}

/** The managed policy name of an `arn:${Partition}:iam::aws:policy/NAME` ARN, however it is joined. */
function awsManagedPolicyName(arn: unknown): string | undefined {
  const text = typeof arn === 'string' ? arn : JSON.stringify(arn);
  return /:iam::aws:policy\/([A-Za-z0-9/_+=,.@-]+)/.exec(text)?.[1];
}

/**
 * No identity policy allows every action (`*`), a whole service (`s3:*`), or any resource (`*`),
 * except the reviewed WILDCARD_RESOURCE_ALLOWED actions on "*"; no Allow with NotAction or
 * NotResource; only the reviewed AWS managed policies.
 */
export function wildcardIamStatements(app: AppTemplates): string[] {
  const allowed = new Set(WILDCARD_RESOURCE_ALLOWED.flatMap((entry) => entry.actions));
  const violations = identityStatements(app).flatMap(({ owner, where, statement }) => {
    if (statement.Effect !== 'Allow') return [];
    const at = `${describeRef(owner)} ${where}`;
    const found: string[] = [];
    if (statement.NotAction !== undefined) found.push(`${at}: Allow with NotAction`);
    if (statement.NotResource !== undefined) found.push(`${at}: Allow with NotResource`);
    const actions = asList(statement.Action).map(String);
    const wideActions = actions.filter((action) => action === '*' || /^[A-Za-z0-9-]+:\*$/.test(action));
    if (wideActions.length > 0) found.push(`${at}: Action ${wideActions.join(', ')}`);
    if (asList(statement.Resource).includes('*')) {
      const notAllowed = actions.filter((action) => !allowed.has(action));
      if (notAllowed.length > 0) found.push(`${at}: Resource "*" for ${notAllowed.join(', ')}`);
    }
    return found;
  });
  const managed = new Set(MANAGED_POLICIES_ALLOWED.map((entry) => entry.name));
  for (const type of ['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group']) {
    for (const principal of resourcesOfType(app, type)) {
      for (const arn of asList(principal.resource.Properties?.ManagedPolicyArns)) {
        const name = awsManagedPolicyName(arn);
        if (name !== undefined && !managed.has(name)) violations.push(`${describeRef(principal)}: AWS managed policy ${name} is not in MANAGED_POLICIES_ALLOWED`);
      }
    }
  }
  return violations;
}

const WORLD = ['0.0.0.0/0', '::/0'];

/** The ports of listeners on internet-facing load balancers, by the security groups of those load balancers. */
function publicListenerPorts(app: AppTemplates): { group: ResourceEntry; ports: number[] }[] {
  return resourcesOfType(app, 'AWS::ElasticLoadBalancingV2::LoadBalancer')
    .filter((lb) => lb.resource.Properties?.Scheme === 'internet-facing')
    .flatMap((lb) => {
      const ports = resourcesOfType(app, 'AWS::ElasticLoadBalancingV2::Listener')
        .filter((listener) => sameResource(resolveReference(app, listener.stack, listener.resource.Properties?.LoadBalancerArn), lb))
        .map((listener) => Number(listener.resource.Properties?.Port));
      return asList(lb.resource.Properties?.SecurityGroups)
        .map((group) => resolveReference(app, lb.stack, group))
        .filter((group): group is ResourceEntry => group !== undefined)
        .map((group) => ({ group, ports }));
    });
}

/**
 * No security group admits the whole internet, except an internet-facing load balancer's group on
 * exactly its listeners' TCP ports (the export ALB's 80 and 443).
 */
export function securityGroupsOpenToWorld(app: AppTemplates): string[] {
  const publicPorts = publicListenerPorts(app);
  const rules: { group: ResourceEntry | undefined; owner: ResourceEntry; rule: unknown }[] = [];
  for (const group of resourcesOfType(app, 'AWS::EC2::SecurityGroup')) {
    for (const rule of asList(group.resource.Properties?.SecurityGroupIngress)) rules.push({ group, owner: group, rule });
  }
  for (const ingress of resourcesOfType(app, 'AWS::EC2::SecurityGroupIngress')) {
    rules.push({ group: resolveReference(app, ingress.stack, ingress.resource.Properties?.GroupId), owner: ingress, rule: ingress.resource.Properties });
  }
  return rules.flatMap(({ group, owner, rule }) => {
    const cidr = [propertyAt(rule, ['CidrIp']), propertyAt(rule, ['CidrIpv6'])].find((value) => WORLD.includes(value as string));
    if (cidr === undefined) return [];
    const from = Number(propertyAt(rule, ['FromPort']));
    const to = Number(propertyAt(rule, ['ToPort']));
    const protocol = String(propertyAt(rule, ['IpProtocol']));
    const listenerPorts = publicPorts.find((entry) => sameResource(entry.group, group))?.ports ?? [];
    if (protocol === 'tcp' && from === to && listenerPorts.includes(from)) return [];
    return [`${describeRef(owner)}: ingress from ${String(cidr)} on ${protocol} ${from}-${to}, not a public load balancer's listener port`];
  });
}

/**
 * Values that change whenever their resource is updated or replaced, by resource type: `Ref` and
 * the listed `Fn::GetAtt` attributes. A task definition gets a new revision, a Lambda version a
 * new number, an API deployment a new ID, a layer a new version on every change.
 */
const VALUES_CHANGING_ON_UPDATE: Readonly<Record<string, readonly string[]>> = {
  'AWS::ECS::TaskDefinition': ['Ref', 'TaskDefinitionArn'],
  'AWS::Lambda::Version': ['Ref', 'Version'],
  'AWS::Lambda::LayerVersion': ['Ref', 'LayerVersionArn'],
  'AWS::ApiGateway::Deployment': ['Ref', 'DeploymentId'],
  'AWS::EC2::LaunchTemplate': ['LatestVersionNumber', 'DefaultVersionNumber'],
};

/** A container image built from an asset: its URI names the image's hash, new with every build. */
const ASSET_IMAGE_URI = /container-assets|\.dkr\.ecr\..*:[0-9a-f]{64}/;

/** Every intrinsic object (`{ "Ref": ... }`, `{ "Fn::GetAtt": ... }`, ...) inside `value`, at any depth. */
function intrinsicsIn(value: unknown, names: readonly string[]): Array<[string, unknown]> {
  if (Array.isArray(value)) return value.flatMap((item) => intrinsicsIn(item, names));
  if (typeof value !== 'object' || value === null) return [];
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const own: Array<[string, unknown]> = keys.length === 1 && names.includes(keys[0]) ? [[keys[0], record[keys[0]]]] : [];
  return [...own, ...Object.values(record).flatMap((item) => intrinsicsIn(item, names))];
}

/** What in an output's value changes on update: `Type attribute of stack/LogicalId`, or the asset image. */
function changingValuesIn(app: AppTemplates, stack: string, value: unknown): string[] {
  const found = intrinsicsIn(value, ['Ref', 'Fn::GetAtt']).flatMap(([name, arg]) => {
    const logicalId = name === 'Ref' ? arg : Array.isArray(arg) ? arg[0] : typeof arg === 'string' ? arg.split('.')[0] : undefined;
    const attribute = name === 'Ref' ? 'Ref' : Array.isArray(arg) ? arg[1] : typeof arg === 'string' ? arg.split('.').slice(1).join('.') : undefined;
    if (typeof logicalId !== 'string') return [];
    const resource = app[stack]?.Resources?.[logicalId];
    if (resource === undefined || !(VALUES_CHANGING_ON_UPDATE[resource.Type] ?? []).includes(attribute as string)) return [];
    return [`${resource.Type} ${attribute} of ${stack}/${logicalId}`];
  });
  return ASSET_IMAGE_URI.test(JSON.stringify(value)) ? [...found, 'a container image URI built from an asset'] : found;
}

/**
 * No stack reads from another a value that changes when its resource is updated (a task
 * definition revision, a Lambda version, an asset image URI...). Weak references
 * (`Fn::GetStackOutput`) are resolved when the consumer deploys, and the CDK CLI skips a stack
 * whose template did not change, so the consumer keeps the old value; strong ones
 * (`Fn::ImportValue`) make the producer's update fail while the export is in use.
 */
export function crossStackValuesThatChangeOnUpdate(app: AppTemplates): string[] {
  const violations: string[] = [];
  for (const [consumer, template] of Object.entries(app)) {
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      for (const [name, arg] of intrinsicsIn(resource, ['Fn::GetStackOutput', 'Fn::ImportValue'])) {
        const producer =
          name === 'Fn::GetStackOutput'
            ? (() => {
                const ref = arg as { StackName?: unknown; OutputName?: unknown };
                const output = typeof ref.StackName === 'string' && typeof ref.OutputName === 'string' ? app[ref.StackName]?.Outputs?.[ref.OutputName] : undefined;
                return output === undefined ? undefined : { stack: ref.StackName as string, output: ref.OutputName as string, value: output.Value };
              })()
            : Object.entries(app)
                .flatMap(([stack, t]) => Object.entries(t.Outputs ?? {}).map(([output, o]) => ({ stack, output, value: o.Value, exportName: o.Export?.Name })))
                .find((o) => o.exportName === arg);
        if (producer === undefined) continue;
        for (const what of changingValuesIn(app, producer.stack, producer.value)) {
          const kind = name === 'Fn::GetStackOutput' ? 'a weak' : 'a strong';
          violations.push(`${consumer}/${logicalId}: reads ${producer.stack} output ${producer.output} (${what}) through ${kind} cross-stack reference; it changes on every update, and ${consumer} would keep the old value`);
        }
      }
    }
  }
  return violations;
}
