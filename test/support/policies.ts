/**
 * App-wide policies, each a pure function from one environment's templates to the violations it
 * finds (one message per violation, naming the stack and logical ID). test/infra/policies.test.ts
 * runs them on every environment and feeds each a hand-made violation, so none can pass vacuously.
 */
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { intrinsicsIn, referencesIn } from '../../tools/pr-diff/intrinsics';
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
  for (const fn of resourcesOfType(app, 'AWS::Lambda::Function'))
    add(fn, propertyAt(fn.resource.Properties, ['DeadLetterConfig', 'TargetArn']));
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
    .map(
      (queue) =>
        `${describeRef(queue)}: SQS queue has no RedrivePolicy and is no queue's, subscription's, function's or schedule's dead-letter target`,
    );
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
      return [
        `${describeRef(mapping)}: SQS event source mapping whose queue or function cannot be resolved, so its visibility timeout cannot be checked`,
      ];
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
    if (sub.resource.Properties?.Protocol === 'sqs')
      deliveries.push({ from: sub, value: sub.resource.Properties.Endpoint, service: 'SNS' });
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
    for (const topic of asList(propertyAt(config, ['TopicConfigurations'])))
      deliveries.push({ from: bucket, value: propertyAt(topic, ['Topic']), service: 'S3' });
    for (const queue of asList(propertyAt(config, ['QueueConfigurations'])))
      deliveries.push({ from: bucket, value: propertyAt(queue, ['Queue']), service: 'S3' });
  }
  return deliveries.flatMap(({ from, value, service }) => {
    const target = resolveReference(app, from.stack, value);
    if (target === undefined)
      return [
        `${describeRef(from)}: ${service} delivers to ${JSON.stringify(value)}, which cannot be resolved to check its encryption key`,
      ];
    return isAwsManagedKey(target.resource.Properties?.KmsMasterKeyId)
      ? [
          `${describeRef(target)}: ${service} delivers into it (from ${describeRef(from)}) but it is encrypted with the AWS-managed key ${JSON.stringify(target.resource.Properties?.KmsMasterKeyId)}`,
        ]
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
    if (propertyAt(target, ['DeadLetterConfig', 'Arn']) === undefined)
      violations.push(`${describeRef(schedule)}: schedule target without DeadLetterConfig`);
    invocations.push({ caller: schedule, target: propertyAt(target, ['Arn']) });
  }
  for (const rule of resourcesOfType(app, 'AWS::Events::Rule')) {
    for (const target of asList(rule.resource.Properties?.Targets)) {
      const id = String(propertyAt(target, ['Id']));
      if (propertyAt(target, ['RetryPolicy']) === undefined) violations.push(`${describeRef(rule)}: rule target ${id} without RetryPolicy`);
      if (propertyAt(target, ['DeadLetterConfig', 'Arn']) === undefined)
        violations.push(`${describeRef(rule)}: rule target ${id} without DeadLetterConfig`);
      invocations.push({ caller: rule, target: propertyAt(target, ['Arn']) });
    }
  }
  for (const sub of resourcesOfType(app, 'AWS::SNS::Subscription')) {
    if (sub.resource.Properties?.Protocol === 'lambda') invocations.push({ caller: sub, target: sub.resource.Properties.Endpoint });
  }
  for (const notifications of resourcesOfType(app, 'Custom::S3BucketNotifications')) {
    for (const config of asList(
      propertyAt(notifications.resource.Properties, ['NotificationConfiguration', 'LambdaFunctionConfigurations']),
    )) {
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
    reason:
      "CDK's S3 notifications handler: inline Python, a runtime CDK picks, and no props for its log group or architecture; it runs only on deployment.",
  },
  {
    // CustomResourceProvider handlers, e.g. CustomS3AutoDeleteObjects (autoDeleteObjects in dev)
    // and CustomVpcRestrictDefaultSG (restrictDefaultSecurityGroup).
    pattern: /^Custom[A-Za-z0-9]+CustomResourceProviderHandler[0-9A-F]{8}$/,
    reason:
      "CDK's CustomResourceProvider handlers: their code, runtime and role are CDK's and expose no logging or architecture options; they run only on deployment.",
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
    if (store.resource.DeletionPolicy !== 'Retain')
      violations.push(`${describeRef(store)}: DeletionPolicy ${String(store.resource.DeletionPolicy)}, not Retain`);
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
    reason:
      'Active tracing (Lambda and Step Functions): X-Ray supports no resource-level permissions for sending traces or reading sampling rules.',
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
      'The import state machine\'s ecs:runTask.sync integration watches and, on timeout or abort, stops the task it started; task ARNs exist only at run time, so the CDK grants these on "*". The same role may run only the import task definition.',
  },
];

/**
 * AWS managed policies attached to roles (their statements are not in the template). Only these are
 * accepted; each is attached by CDK itself.
 */
export const MANAGED_POLICIES_ALLOWED: readonly { readonly name: string; readonly reason: string }[] = [
  {
    name: 'service-role/AWSLambdaBasicExecutionRole',
    reason:
      "Roles of CDK's own custom resource handlers (FRAMEWORK_FUNCTIONS), which CDK creates with it; project functions get a role scoped to their log group.",
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
      if (typeof statement === 'object' && statement !== null)
        found.push({ owner, where: `${where} statement ${index}`, statement: statement as Record<string, unknown> });
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
        if (name !== undefined && !managed.has(name))
          violations.push(`${describeRef(principal)}: AWS managed policy ${name} is not in MANAGED_POLICIES_ALLOWED`);
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
    rules.push({
      group: resolveReference(app, ingress.stack, ingress.resource.Properties?.GroupId),
      owner: ingress,
      rule: ingress.resource.Properties,
    });
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

/** What in an output's value changes on update: `Type attribute of stack/LogicalId`, or the asset image. */
function changingValuesIn(app: AppTemplates, stack: string, value: unknown): string[] {
  const found = referencesIn(value).flatMap(({ logicalId, attribute }) => {
    const resource = app[stack]?.Resources?.[logicalId];
    if (resource === undefined || !(VALUES_CHANGING_ON_UPDATE[resource.Type] ?? []).includes(attribute)) return [];
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
                const output =
                  typeof ref.StackName === 'string' && typeof ref.OutputName === 'string'
                    ? app[ref.StackName]?.Outputs?.[ref.OutputName]
                    : undefined;
                return output === undefined
                  ? undefined
                  : { stack: ref.StackName as string, output: ref.OutputName as string, value: output.Value };
              })()
            : Object.entries(app)
                .flatMap(([stack, t]) =>
                  Object.entries(t.Outputs ?? {}).map(([output, o]) => ({ stack, output, value: o.Value, exportName: o.Export?.Name })),
                )
                .find((o) => o.exportName === arg);
        if (producer === undefined) continue;
        for (const what of changingValuesIn(app, producer.stack, producer.value)) {
          const kind = name === 'Fn::GetStackOutput' ? 'a weak' : 'a strong';
          violations.push(
            `${consumer}/${logicalId}: reads ${producer.stack} output ${producer.output} (${what}) through ${kind} cross-stack reference; it changes on every update, and ${consumer} would keep the old value`,
          );
        }
      }
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------
// Resource policies: who may act on a resource, and whether each service that delivers into a
// resource is let in.

/** One statement of a policy document, as synthesized. */
interface PolicyStatementJson {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Principal?: unknown;
  readonly Action?: unknown;
  readonly Resource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** A resource policy: the statements, what they govern and where they are written. */
interface ResourcePolicy {
  /** The resource the policy is written on (a QueuePolicy, a key, a role...). */
  readonly holder: ResourceEntry;
  /** How messages call it: `queue policy`, `key policy`, `trust policy`... */
  readonly kind: string;
  /** The resources it governs (the queues of a QueuePolicy; the holder itself for keys and roles). */
  readonly governs: ResourceEntry[];
  readonly statements: PolicyStatementJson[];
}

function statementsOf(document: unknown): PolicyStatementJson[] {
  return asList(propertyAt(document, ['Statement'])) as PolicyStatementJson[];
}

/** Every resource policy of the environment: queue, topic, bucket and key policies, Lambda permissions, role trust. */
function resourcePolicies(app: AppTemplates): ResourcePolicy[] {
  const governed = (holder: ResourceEntry, refs: unknown): ResourceEntry[] =>
    asList(refs)
      .map((ref) => resolveReference(app, holder.stack, ref))
      .filter((entry): entry is ResourceEntry => entry !== undefined);
  const policies: ResourcePolicy[] = [];
  const documents: Array<[string, string, string]> = [
    ['AWS::SQS::QueuePolicy', 'queue policy', 'Queues'],
    ['AWS::SNS::TopicPolicy', 'topic policy', 'Topics'],
    ['AWS::S3::BucketPolicy', 'bucket policy', 'Bucket'],
  ];
  for (const [type, kind, targets] of documents) {
    for (const holder of resourcesOfType(app, type)) {
      const props = holder.resource.Properties ?? {};
      policies.push({ holder, kind, governs: governed(holder, props[targets]), statements: statementsOf(props.PolicyDocument) });
    }
  }
  for (const key of resourcesOfType(app, 'AWS::KMS::Key')) {
    policies.push({ holder: key, kind: 'key policy', governs: [key], statements: statementsOf(key.resource.Properties?.KeyPolicy) });
  }
  for (const role of resourcesOfType(app, 'AWS::IAM::Role')) {
    policies.push({
      holder: role,
      kind: 'trust policy',
      governs: [role],
      statements: statementsOf(role.resource.Properties?.AssumeRolePolicyDocument),
    });
  }
  // A Lambda permission is one statement of the function's resource policy.
  for (const permission of resourcesOfType(app, 'AWS::Lambda::Permission')) {
    const props = permission.resource.Properties ?? {};
    const condition: Record<string, Record<string, unknown>> = {};
    if (props.SourceArn !== undefined) condition.ArnLike = { 'aws:SourceArn': props.SourceArn };
    if (props.SourceAccount !== undefined) condition.StringEquals = { 'aws:SourceAccount': props.SourceAccount };
    const principal =
      typeof props.Principal === 'string' && props.Principal.endsWith('.amazonaws.com')
        ? { Service: props.Principal }
        : { AWS: props.Principal };
    const fn = resolveFunction(app, permission.stack, props.FunctionName)?.fn;
    policies.push({
      holder: permission,
      kind: 'Lambda permission',
      governs: fn === undefined ? [] : [fn],
      statements: [
        {
          Effect: 'Allow',
          Principal: principal,
          Action: props.Action,
          Condition: Object.keys(condition).length > 0 ? condition : undefined,
        },
      ],
    });
  }
  return policies;
}

/** The service principals of a statement (`s3.amazonaws.com`), and whether it names everyone (`*`). */
function principalsOf(statement: PolicyStatementJson): { services: string[]; everyone: boolean } {
  const principal = statement.Principal;
  if (principal === '*') return { services: [], everyone: true };
  const services = asList(propertyAt(principal, ['Service'])).filter((s): s is string => typeof s === 'string');
  const everyone = asList(propertyAt(principal, ['AWS'])).includes('*');
  return { services, everyone };
}

/** The condition keys a statement tests, lower-cased, with the values tested. */
function conditionKeys(statement: PolicyStatementJson): Map<string, unknown> {
  const keys = new Map<string, unknown>();
  for (const tests of Object.values(statement.Condition ?? {})) {
    for (const [key, value] of Object.entries(tests ?? {})) keys.set(key.toLowerCase(), value);
  }
  return keys;
}

/**
 * Whether a statement's conditions pin the caller's source to this account or to named resources:
 * `aws:SourceAccount`, or `aws:SourceArn` with an ARN that names an account. S3 bucket ARNs name
 * none (a bucket of the same name may later exist in another account), so S3 needs
 * `aws:SourceAccount`. `*` may also be pinned by the calling principal's account or organization.
 */
function pinsSource(app: AppTemplates, policy: ResourcePolicy, statement: PolicyStatementJson, everyone: boolean): boolean {
  const keys = conditionKeys(statement);
  if (keys.has('aws:sourceaccount') || keys.has('aws:sourceorgid')) return true;
  if (everyone && (keys.has('aws:principalaccount') || keys.has('aws:principalorgid') || keys.has('aws:sourcevpce'))) return true;
  if (!keys.has('aws:sourcearn')) return false;
  return asList(keys.get('aws:sourcearn')).every((arn) => {
    const source = resolveReference(app, policy.holder.stack, arn);
    if (source !== undefined) return source.resource.Type !== 'AWS::S3::Bucket';
    const text = JSON.stringify(arn);
    return !text.includes(':s3:::');
  });
}

/** A statement exempt from resourcePoliciesOpenToAnyone, with the reason it is safe. */
export interface ResourcePolicyException {
  /** The kind of policy: `trust policy`, `bucket policy`, `queue policy`, `topic policy`, `key policy`, `Lambda permission`. */
  readonly kind: string;
  /** The logical ID of the policy's holder starts with this. @default every holder of that kind */
  readonly holderPrefix?: string;
  /** The principal it lets in: a service principal, or `*`. */
  readonly principal: string;
  readonly reason: string;
}

/**
 * No resource policy allows everyone (`*`), or a service principal, without a condition that pins
 * the source (`aws:SourceArn` of a resource in an account, `aws:SourceAccount`): otherwise anyone,
 * or the service acting for another account (a confused deputy), can reach the resource.
 */
export function resourcePoliciesOpenToAnyone(app: AppTemplates, exceptions: readonly ResourcePolicyException[]): string[] {
  const violations: string[] = [];
  for (const policy of resourcePolicies(app)) {
    policy.statements.forEach((statement, index) => {
      if (statement.Effect !== 'Allow') return;
      const { services, everyone } = principalsOf(statement);
      const open = [...(everyone ? ['*'] : []), ...services];
      for (const principal of open) {
        if (pinsSource(app, policy, statement, principal === '*')) continue;
        if (
          exceptions.some(
            (e) => e.kind === policy.kind && e.principal === principal && policy.holder.logicalId.startsWith(e.holderPrefix ?? ''),
          )
        )
          continue;
        const actions = asList(statement.Action).join(', ');
        violations.push(
          `${describeRef(policy.holder)}: ${policy.kind} statement ${statement.Sid ?? index} allows ${principal} (${actions}) without aws:SourceArn or aws:SourceAccount`,
        );
      }
    });
  }
  return violations;
}

/** Whether an IAM action pattern (`sqs:*`, `kms:GenerateDataKey*`) covers `action`. */
function actionCovers(pattern: unknown, action: string): boolean {
  if (typeof pattern !== 'string') return false;
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
  return regex.test(action);
}

/** Whether some Allow statement lets `service` (or everyone) do every one of `actions`. */
function allowsService(statements: readonly PolicyStatementJson[], service: string, actions: readonly string[]): boolean {
  return actions.every((action) =>
    statements.some((statement) => {
      if (statement.Effect !== 'Allow') return false;
      const { services, everyone } = principalsOf(statement);
      return (everyone || services.includes(service)) && asList(statement.Action).some((pattern) => actionCovers(pattern, action));
    }),
  );
}

/** A service that delivers into a resource of the app: who, into what, and what it must be allowed. */
interface DeliveryEdge {
  readonly from: ResourceEntry;
  /** The service principal that delivers. */
  readonly service: string;
  readonly target: ResourceEntry;
  /** The action on the target's resource policy. */
  readonly action: string;
  /** The actions on the target's customer key, when it has one. */
  readonly keyActions: readonly string[];
  /** When the service delivers with a role of the app (Lambda destinations, Scheduler), that role. */
  readonly role?: ResourceEntry;
}

/**
 * Who writes load balancer access logs: each region's Elastic Load Balancing account (CDK's own
 * table of them), or the log-delivery service principal of the newer regions.
 */
const ELB_LOG_WRITERS = new Set([
  ...RegionInfo.regions
    .map((region) => region.elbv2Account)
    .filter((account): account is string => account !== undefined)
    .map((account) => `arn:aws:iam::${account}:root`),
  'logdelivery.elasticloadbalancing.amazonaws.com',
]);

/** Every delivery edge of the environment. */
function deliveryEdges(app: AppTemplates): DeliveryEdge[] {
  const edges: DeliveryEdge[] = [];
  const edge = (from: ResourceEntry, value: unknown, rest: Omit<DeliveryEdge, 'from' | 'target'>, types: readonly string[]) => {
    const target = resolveReference(app, from.stack, value);
    if (target !== undefined && types.includes(target.resource.Type)) edges.push({ from, target, ...rest });
  };
  const queueKey = ['kms:GenerateDataKey*', 'kms:Decrypt'];
  for (const alarm of resourcesOfType(app, 'AWS::CloudWatch::Alarm')) {
    const props = alarm.resource.Properties ?? {};
    for (const action of [...asList(props.AlarmActions), ...asList(props.OKActions), ...asList(props.InsufficientDataActions)]) {
      edge(alarm, action, { service: 'cloudwatch.amazonaws.com', action: 'sns:Publish', keyActions: queueKey }, ['AWS::SNS::Topic']);
    }
  }
  for (const notifications of resourcesOfType(app, 'Custom::S3BucketNotifications')) {
    const config = notifications.resource.Properties?.NotificationConfiguration;
    for (const topic of asList(propertyAt(config, ['TopicConfigurations']))) {
      edge(notifications, propertyAt(topic, ['TopicArn']), { service: 's3.amazonaws.com', action: 'sns:Publish', keyActions: queueKey }, [
        'AWS::SNS::Topic',
      ]);
    }
    for (const queue of asList(propertyAt(config, ['QueueConfigurations']))) {
      edge(
        notifications,
        propertyAt(queue, ['QueueArn']),
        { service: 's3.amazonaws.com', action: 'sqs:SendMessage', keyActions: queueKey },
        ['AWS::SQS::Queue'],
      );
    }
  }
  for (const subscription of resourcesOfType(app, 'AWS::SNS::Subscription')) {
    const props = subscription.resource.Properties ?? {};
    const rest = { service: 'sns.amazonaws.com', action: 'sqs:SendMessage', keyActions: queueKey };
    if (props.Protocol === 'sqs') edge(subscription, props.Endpoint, rest, ['AWS::SQS::Queue']);
    edge(subscription, redriveTarget(props.RedrivePolicy), rest, ['AWS::SQS::Queue']);
  }
  for (const schedule of resourcesOfType(app, 'AWS::Scheduler::Schedule')) {
    const target = schedule.resource.Properties?.Target;
    const role = resolveReference(app, schedule.stack, propertyAt(target, ['RoleArn']));
    edge(
      schedule,
      propertyAt(target, ['DeadLetterConfig', 'Arn']),
      { service: 'scheduler.amazonaws.com', action: 'sqs:SendMessage', keyActions: queueKey, role },
      ['AWS::SQS::Queue'],
    );
  }
  for (const config of resourcesOfType(app, 'AWS::Lambda::EventInvokeConfig')) {
    const fn = resolveFunction(app, config.stack, config.resource.Properties?.FunctionName)?.fn;
    const role = fn === undefined ? undefined : resolveReference(app, fn.stack, fn.resource.Properties?.Role);
    for (const outcome of ['OnFailure', 'OnSuccess']) {
      edge(
        config,
        propertyAt(config.resource.Properties, ['DestinationConfig', outcome, 'Destination']),
        { service: 'lambda.amazonaws.com', action: 'sqs:SendMessage', keyActions: queueKey, role },
        ['AWS::SQS::Queue'],
      );
    }
  }
  for (const lb of resourcesOfType(app, 'AWS::ElasticLoadBalancingV2::LoadBalancer')) {
    const attributes = asList(lb.resource.Properties?.LoadBalancerAttributes) as Array<{ Key?: string; Value?: unknown }>;
    const enabled = attributes.some((a) => a.Key === 'access_logs.s3.enabled' && a.Value === 'true');
    const bucket = attributes.find((a) => a.Key === 'access_logs.s3.bucket')?.Value;
    if (enabled) edge(lb, bucket, { service: 'elasticloadbalancing', action: 's3:PutObject', keyActions: [] }, ['AWS::S3::Bucket']);
  }
  return edges;
}

/** The identity policy statements attached to a role of the app (inline and AWS::IAM::Policy). */
function roleStatements(app: AppTemplates, role: ResourceEntry): PolicyStatementJson[] {
  const inline = asList(role.resource.Properties?.Policies).flatMap((policy) => statementsOf(propertyAt(policy, ['PolicyDocument'])));
  const attached = resourcesOfType(app, 'AWS::IAM::Policy')
    .filter((policy) =>
      asList(policy.resource.Properties?.Roles).some((ref) => sameResource(resolveReference(app, policy.stack, ref), role)),
    )
    .flatMap((policy) => statementsOf(policy.resource.Properties?.PolicyDocument));
  return [...inline, ...attached];
}

/** Whether an identity statement allows `action` on `target` (by reference, or on `*`). */
function roleAllows(app: AppTemplates, role: ResourceEntry, action: string, target: ResourceEntry): boolean {
  return roleStatements(app, role).some(
    (statement) =>
      statement.Effect === 'Allow' &&
      asList(statement.Action).some((pattern) => actionCovers(pattern, action)) &&
      asList(statement.Resource).some((resource) => resource === '*' || sameResource(resolveReference(app, role.stack, resource), target)),
  );
}

/** The policies governing `target` of one kind. */
function policiesGoverning(app: AppTemplates, target: ResourceEntry, kind: string): ResourcePolicy[] {
  return resourcePolicies(app).filter(
    (policy) => policy.kind === kind && policy.governs.some((governed) => sameResource(governed, target)),
  );
}

/** The customer key a queue, topic or bucket is encrypted with, when it is one of the app. */
function customerKeyOf(app: AppTemplates, target: ResourceEntry): ResourceEntry | undefined {
  const props = target.resource.Properties ?? {};
  const keyRef =
    props.KmsMasterKeyId ??
    propertyAt(asList(propertyAt(props, ['BucketEncryption', 'ServerSideEncryptionConfiguration']))[0], [
      'ServerSideEncryptionByDefault',
      'KMSMasterKeyID',
    ]);
  const key = resolveReference(app, target.stack, keyRef);
  return key?.resource.Type === 'AWS::KMS::Key' ? key : undefined;
}

/**
 * Every service that delivers into a resource of the app is let in: CloudWatch alarms into their
 * topic, S3 into its topic or queue, SNS into its queues and subscription DLQs, Scheduler and
 * Lambda destinations into their queues (through their role), ELB access logs into their bucket.
 * Both the resource policy (where the resource has one: a policy replaces the service's default
 * access) and the customer KMS key (where it is encrypted with one) must allow it.
 */
export function deliveriesRefused(app: AppTemplates): string[] {
  const violations: string[] = [];
  for (const edge of deliveryEdges(app)) {
    const into = `${describeRef(edge.target)}: ${edge.service} delivers into it (from ${describeRef(edge.from)})`;
    if (edge.role !== undefined) {
      if (!roleAllows(app, edge.role, edge.action, edge.target))
        violations.push(`${into}, but its role ${describeRef(edge.role)} may not ${edge.action} there`);
    } else if (edge.service === 'elasticloadbalancing') {
      const policies = policiesGoverning(app, edge.target, 'bucket policy');
      const allowed = policies.some((policy) =>
        policy.statements.some(
          (statement) =>
            statement.Effect === 'Allow' &&
            asList(statement.Action).some((pattern) => actionCovers(pattern, 's3:PutObject')) &&
            [...asList(propertyAt(statement.Principal, ['AWS'])), ...asList(propertyAt(statement.Principal, ['Service']))].some(
              (principal) => typeof principal === 'string' && ELB_LOG_WRITERS.has(principal),
            ),
        ),
      );
      if (!allowed) violations.push(`${into}, but no bucket policy lets the region's load balancer log writer s3:PutObject`);
      const encryption = JSON.stringify(edge.target.resource.Properties?.BucketEncryption ?? {});
      if (encryption.includes('aws:kms'))
        violations.push(`${into}, but the bucket is encrypted with KMS, which load balancer access logs do not support`);
    } else {
      const kind =
        edge.target.resource.Type === 'AWS::SNS::Topic'
          ? 'topic policy'
          : edge.target.resource.Type === 'AWS::SQS::Queue'
            ? 'queue policy'
            : 'bucket policy';
      const policies = policiesGoverning(app, edge.target, kind);
      if (policies.length > 0 && !policies.some((policy) => allowsService(policy.statements, edge.service, [edge.action]))) {
        violations.push(
          `${into}, but its ${kind} ${policies.map((p) => describeRef(p.holder)).join(', ')} allows ${edge.service} no ${edge.action}`,
        );
      }
    }
    const key = customerKeyOf(app, edge.target);
    if (key !== undefined && edge.keyActions.length > 0) {
      const keyStatements = statementsOf(key.resource.Properties?.KeyPolicy);
      const allowed =
        edge.role !== undefined
          ? edge.keyActions.every((action) => roleAllows(app, edge.role!, action, key))
          : allowsService(keyStatements, edge.service, edge.keyActions);
      if (!allowed)
        violations.push(
          `${into}, but its key ${describeRef(key)} does not let ${edge.role === undefined ? edge.service : describeRef(edge.role)} ${edge.keyActions.join(', ')}`,
        );
    }
  }
  return violations;
}

/**
 * Every function, the CDK's own custom-resource handlers included, logs to a log group of the app
 * that keeps events `retentionDays` (the environment's retention): a handler left on its implicit
 * `/aws/lambda/...` group keeps its logs, and bills them, forever.
 */
export function functionLogsNotKeptFor(app: AppTemplates, retentionDays: number): string[] {
  return resourcesOfType(app, 'AWS::Lambda::Function').flatMap((fn) => {
    const logGroup = resolveReference(app, fn.stack, propertyAt(fn.resource.Properties, ['LoggingConfig', 'LogGroup']));
    if (logGroup?.resource.Type !== 'AWS::Logs::LogGroup')
      return [`${describeRef(fn)}: logs to no log group of the app (its implicit group never expires)`];
    const days = logGroup.resource.Properties?.RetentionInDays;
    return days === retentionDays
      ? []
      : [
          `${describeRef(fn)}: its log group ${describeRef(logGroup)} keeps events ${String(days)} days, not the environment's ${retentionDays}`,
        ];
  });
}

/**
 * Every subnet whose default route goes through a NAT gateway uses the NAT gateway of its own
 * availability zone: otherwise losing that other zone cuts its egress, and each byte crosses zones
 * (billed both ways).
 */
export function subnetsEgressingThroughAnotherZone(app: AppTemplates): string[] {
  const violations: string[] = [];
  for (const route of resourcesOfType(app, 'AWS::EC2::Route')) {
    const props = route.resource.Properties ?? {};
    if (props.DestinationCidrBlock !== '0.0.0.0/0' || props.NatGatewayId === undefined) continue;
    const nat = resolveReference(app, route.stack, props.NatGatewayId);
    const natSubnet = nat === undefined ? undefined : resolveReference(app, nat.stack, nat.resource.Properties?.SubnetId);
    const natZone = natSubnet?.resource.Properties?.AvailabilityZone;
    const table = resolveReference(app, route.stack, props.RouteTableId);
    for (const association of resourcesOfType(app, 'AWS::EC2::SubnetRouteTableAssociation')) {
      if (!sameResource(resolveReference(app, association.stack, association.resource.Properties?.RouteTableId), table)) continue;
      const subnet = resolveReference(app, association.stack, association.resource.Properties?.SubnetId);
      const zone = subnet?.resource.Properties?.AvailabilityZone;
      if (subnet === undefined || zone === natZone) continue;
      violations.push(
        `${describeRef(subnet)} (${String(zone)}): egresses through ${nat === undefined ? 'an unknown NAT gateway' : describeRef(nat)} in ${String(natZone)}`,
      );
    }
  }
  return violations;
}
