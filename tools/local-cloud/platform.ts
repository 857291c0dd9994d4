import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  ScanCommand,
  DeleteItemCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { startS3Front } from './s3-front';
import { envelope, startSnsFront, type SnsMessage, type SnsSubscription } from './sns';
import { readAssembly } from './assembly';
import { startRestApi, type CognitoVerifier, type RestApiServer } from './api-gateway';
import { buildLocalImage, runContainer, type LocalImage } from './containers';
import { startEngines, type Engines } from './engines';
import { closeServer, listen, type AwsGateway, type EvaluatePolicies, type Principal, type StartAwsGateway } from './runtime';
import { LocalFunction, type InvokeOutcome } from './lambda';
import {
  deliverToQueue,
  eventMatches,
  notificationTargets,
  s3EventRecord,
  s3TestEvent,
  serviceClients,
  startEventSourceMapping,
  type NotificationTarget,
} from './messaging';
import { freePort, startListener } from './load-balancer';
import { CloudModel, LOCAL_ACCOUNT, type LocalResource } from './model';
import { invokeConfigOf, principalsOf, resourcePoliciesOf } from './policies';
import { scheduleTimer } from './scheduler';
import type { TaskCheck } from './plugins';
import { startStepFunctions, taskError } from './step-functions';
import { classifyResourceTypes } from './support';

export interface PlatformOptions {
  /** The cloud assembly folder (cdk.out). */
  readonly assemblyDirectory: string;
  /** The stage (nested assembly) to run, e.g. "dev". */
  readonly stage: string;
  /** Keep state here between runs; in memory (and a temporary folder for S3) when absent. */
  readonly dataDirectory?: string;
  /** Where logs, the local images and endpoints.json go (.local/ of the project by default). */
  readonly workDirectory: string;
  /**
   * Where locally built images are kept, by asset hash (`<workDirectory>/images` by default). Images
   * are content-addressed, so instances and runs may share one folder (the end-to-end tests do).
   */
  readonly imageCacheDirectory?: string;
  /** The project folder (its node_modules stands in for images' `npm ci`). */
  readonly projectDirectory: string;
  readonly host?: string;
  /** Fixed ports (0 or absent: any free port). */
  readonly ports?: { api?: number; gateway?: number; alb?: number; control?: number };
  /**
   * Multiplies SQS visibility timeouts (at least 1 s), so redrive after maxReceiveCount can be
   * watched in seconds. 1 (the default) keeps the template's values.
   */
  readonly visibilityScale?: number;
  /** Go on when the assembly has resource types the runner does not know (listed loudly). */
  readonly allowUnsupported?: boolean;
  readonly log?: (line: string) => void;
  /** The IAM gateway and the policy evaluator (tools/local-cloud/iam/). */
  readonly startGateway: StartAwsGateway;
  readonly evaluate: EvaluatePolicies;
  /** The local identity provider, when one is available. */
  readonly identity?: LocalIdentity;
  /** Authorizes a state machine Task's calls against the machine's role (see plugins.ts). */
  readonly checkTask?: TaskCheck;
}

export interface LocalIdentity {
  start(
    pools: Array<{ poolId: string; clients: Array<{ clientId: string; clientSecret?: string; allowedScopes: string[]; flows: string[] }> }>,
  ): Promise<{
    url: string;
    tokenUrl: string;
    issuerFor(poolId: string): string;
    close(): Promise<void>;
  }>;
  verify: CognitoVerifier;
}

export interface Endpoints {
  apiUrl: string | undefined;
  apis: Record<string, string>;
  s3Endpoint: string;
  gatewayUrl: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  uploadsBucket: string | undefined;
  buckets: Record<string, string>;
  tables: Record<string, string>;
  queues: Record<string, string>;
  topics: Record<string, string>;
  stateMachines: Record<string, string>;
  schedules: Record<string, { expression: string; timezone: string; state: string }>;
  exportUrl: string | undefined;
  controlUrl: string;
  /** The most privileged client's (most scopes): what a developer uses by default. */
  token: TokenClient | undefined;
  /** Every client with the client_credentials flow, named by its construct path. */
  tokens: TokenClient[];
  engines: { dynamodb: string; s3: string; sqs: string; sns: string; states: string };
}

export interface TokenClient {
  name: string;
  url: string;
  clientId: string;
  clientSecret: string | undefined;
  scopes: string[];
}

export interface Platform {
  readonly endpoints: Endpoints;
  readonly model: CloudModel;
  invokeSchedule(name: string): Promise<{ ok: boolean; detail: string }>;
  close(): Promise<void>;
}

/** The credentials a developer uses against the local AWS endpoint (allowed everything). */
export const DEVELOPER_CREDENTIALS = { accessKeyId: 'LOCALDEVELOPER', secretAccessKey: 'x' };

/** Types the runner emulates. */
export const EMULATED_TYPES = [
  'AWS::DynamoDB::Table',
  'AWS::S3::Bucket',
  'Custom::S3BucketNotifications',
  'AWS::SNS::Topic',
  'AWS::SNS::Subscription',
  'AWS::SNS::TopicPolicy',
  'AWS::SQS::Queue',
  'AWS::SQS::QueuePolicy',
  'AWS::S3::BucketPolicy',
  'AWS::Lambda::Function',
  'AWS::Lambda::Alias',
  'AWS::Lambda::Version',
  'AWS::Lambda::Permission',
  'AWS::Lambda::EventSourceMapping',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::ApiGateway::RestApi',
  'AWS::ApiGateway::Resource',
  'AWS::ApiGateway::Method',
  'AWS::ApiGateway::Deployment',
  'AWS::ApiGateway::Stage',
  'AWS::ApiGateway::Model',
  'AWS::ApiGateway::RequestValidator',
  'AWS::ApiGateway::GatewayResponse',
  'AWS::ApiGateway::Authorizer',
  'AWS::StepFunctions::StateMachine',
  'AWS::ECS::TaskDefinition',
  'AWS::ECS::Service',
  'AWS::ECS::Cluster',
  'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::ElasticLoadBalancingV2::ListenerRule',
  'AWS::ElasticLoadBalancingV2::TargetGroup',
  'AWS::Scheduler::Schedule',
  'AWS::Scheduler::ScheduleGroup',
  'AWS::Cognito::UserPool',
  'AWS::Cognito::UserPoolClient',
  'AWS::Cognito::UserPoolResourceServer',
  'AWS::Cognito::UserPoolDomain',
];

/** Types that are deliberately inert locally: they exist, nothing runs for them. */
export const INERT_TYPES: Record<string, string> = {
  'AWS::CDK::Metadata': 'CDK metadata',
  'AWS::CloudWatch::Alarm': 'alarms are not evaluated',
  'AWS::CloudWatch::Dashboard': 'dashboards',
  'AWS::Logs::LogGroup': 'function logs go to .local/logs instead',
  'AWS::Logs::MetricFilter': 'metric filters',
  'AWS::KMS::Key': 'encryption at rest is not modelled',
  'AWS::KMS::Alias': 'encryption at rest is not modelled',
  'AWS::EC2::VPC': 'networking: every process is on loopback',
  'AWS::EC2::Subnet': 'networking',
  'AWS::EC2::RouteTable': 'networking',
  'AWS::EC2::SubnetRouteTableAssociation': 'networking',
  'AWS::EC2::Route': 'networking',
  'AWS::EC2::InternetGateway': 'networking',
  'AWS::EC2::VPCGatewayAttachment': 'networking',
  'AWS::EC2::NatGateway': 'networking',
  'AWS::EC2::EIP': 'networking',
  'AWS::EC2::VPCEndpoint': 'networking',
  'AWS::EC2::FlowLog': 'networking',
  'AWS::EC2::SecurityGroup': 'security groups are not enforced on loopback',
  'AWS::EC2::SecurityGroupIngress': 'security groups are not enforced on loopback',
  'AWS::EC2::SecurityGroupEgress': 'security groups are not enforced on loopback',
  'AWS::ECS::ClusterCapacityProviderAssociations': 'capacity providers',
  'AWS::ApplicationAutoScaling::ScalableTarget': 'auto scaling (one local process per service)',
  'AWS::ApplicationAutoScaling::ScalingPolicy': 'auto scaling',
  'AWS::ApiGateway::Account': 'API Gateway account settings',
  'AWS::SNS::Subscription:email': 'email subscriptions',
  'Custom::S3AutoDeleteObjects': 'custom resource for deletion only',
  'Custom::VpcRestrictDefaultSG': 'custom resource for networking',
  'AWS::Lambda::LayerVersion': 'layers (bundles are self-contained)',
};

export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((line: string) => console.log(line));
  // An IAM refusal is a missing grant that would fail once deployed: marked loudly, like the runner's own.
  const stamp = (line: string) =>
    log(`${new Date().toISOString().slice(11, 23)}  ${/^\[local-iam\] (ACCESS )?DENIED/.test(line) ? `!!! ${line}` : line}`);
  const stacks = readAssembly(options.assemblyDirectory, options.stage);
  if (stacks.length === 0) throw new Error(`The assembly in ${options.assemblyDirectory} has no stack for stage "${options.stage}"`);
  const region = stacks.find((stack) => stack.region !== undefined)?.region ?? 'us-east-1';

  const classification = classifyResourceTypes(stacks, EMULATED_TYPES, INERT_TYPES);
  if (classification.unsupported.length > 0) {
    const listing = classification.unsupported.map((entry) => `  - ${entry.type} (${entry.where.join(', ')})`).join('\n');
    if (options.allowUnsupported !== true) {
      throw new Error(
        `The assembly uses resource types the local runner does not support:\n${listing}\nRun with --allow-unsupported to start without them.`,
      );
    }
    stamp(`!!! NOT SUPPORTED, started without:\n${listing}`);
  }

  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  try {
    const engines = await startEngines({ host, dataDirectory: options.dataDirectory, region });
    closers.push(() => engines.stop());
    // Queue URLs name the AWS gateway (SDKs may send SQS calls to the queue URL's host).
    const gatewayPort = options.ports?.gateway ?? (await freePort(host));
    const model = new CloudModel(stacks, { region, sqsEndpoint: `http://${host}:${gatewayPort}` });
    const logs = path.join(options.workDirectory, 'logs');
    fs.mkdirSync(logs, { recursive: true });
    const evaluate = options.evaluate;

    await createTables(model, engines);
    await createBuckets(model, engines);
    const versioned = new Set(
      model
        .ofType('AWS::S3::Bucket')
        .filter((bucket) => (model.properties(bucket).VersioningConfiguration as { Status?: string } | undefined)?.Status === 'Enabled')
        .map((bucket) => bucket.name),
    );
    const s3Front = await startS3Front({ host, s3: engines.s3, versionedBuckets: versioned });
    closers.push(() => s3Front.close());
    const { sqs, sns } = serviceClients(engines.sqs, region);
    closers.push(async () => {
      sqs.destroy();
      sns.destroy();
    });
    await createQueuesAndTopics(model, engines, sns, options.visibilityScale ?? 1);
    const subscriptions = subscriptionsOf(model, stamp);
    // Late-bound: deliveries to Lambda subscriptions need the functions, started further down.
    const late: { invokeAsync?: (functionIdentity: string, event: unknown, flow: string) => Promise<boolean> } = {};
    const snsFront = await startSnsFront({
      host,
      fauxqs: engines.sns,
      region,
      account: LOCAL_ACCOUNT,
      subscriptions: () => subscriptions,
      topicExists: (arn) => model.ofType('AWS::SNS::Topic').some((topic) => topic.ref === arn),
      deliver: async (subscription, message, body) => {
        const flow = `sns ${message.topicArn.split(':').pop()}`;
        try {
          if (subscription.protocol === 'sqs') {
            const queue = model.findByIdentity(subscription.endpoint);
            if (queue === undefined) throw new Error(`queue ${subscription.endpoint} does not exist`);
            if (
              !serviceAllowedLate('sns.amazonaws.com', 'sqs:SendMessage', queue.attributes.Arn, {
                'aws:SourceArn': message.topicArn,
                'aws:SourceAccount': LOCAL_ACCOUNT,
              })
            ) {
              throw new Error(`the queue policy of ${queue.name} does not let sns.amazonaws.com send from ${message.topicArn}`);
            }
            await sqs.send(
              new SendMessageCommand({
                QueueUrl: queue.ref,
                MessageBody: body,
                ...(subscription.rawMessageDelivery && Object.keys(message.attributes).length > 0
                  ? { MessageAttributes: message.attributes as never }
                  : {}),
              }),
            );
            stamp(`sns      ${flow} → queue ${queue.name}`);
          } else {
            const event = {
              Records: [
                {
                  EventSource: 'aws:sns',
                  EventVersion: '1.0',
                  EventSubscriptionArn: subscription.arn,
                  Sns: {
                    ...(JSON.parse(body.startsWith('{"Type":"Notification"') ? body : envelopeFor(message, subscription)) as object),
                    SigningCertUrl: 'local',
                    UnsubscribeUrl: 'local',
                  },
                },
              ],
            };
            void late.invokeAsync?.(subscription.endpoint, event, flow);
          }
        } catch (error) {
          stamp(`!!! ${flow} → ${subscription.endpoint}: delivery failed: ${(error as Error).message}`);
          if (subscription.deadLetterTargetArn !== undefined) {
            const dlq = model.findByIdentity(subscription.deadLetterTargetArn);
            if (dlq !== undefined) await sqs.send(new SendMessageCommand({ QueueUrl: dlq.ref, MessageBody: body }));
          }
        }
      },
    });
    closers.push(() => snsFront.close());
    const deliverToTopic = async (_client: unknown, topicArn: string, message: string, subject?: string) => {
      await snsFront.publish(topicArn, message, subject);
    };
    let serviceAllowedLate: (service: string, action: string, targetArn: string, context: Record<string, string>) => boolean = () => true;

    // Principals: every role, with the statements of the policies attached to it.
    const principals = principalsOf(model);
    const keyOfRole = new Map<string, string>();
    const gatewayPrincipals = new Map<string, Principal>();
    for (const principal of principals) {
      const key = `LOCAL${createHash('sha256').update(principal.roleArn).digest('hex').slice(0, 15).toUpperCase()}`;
      keyOfRole.set(principal.roleArn, key);
      gatewayPrincipals.set(key, principal);
      engines.allowS3Key(key, 'x');
    }
    gatewayPrincipals.set(DEVELOPER_CREDENTIALS.accessKeyId, {
      name: 'local developer',
      roleArn: `arn:aws:iam::${model.account}:user/local-developer`,
      statements: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    });
    engines.allowS3Key(DEVELOPER_CREDENTIALS.accessKeyId, DEVELOPER_CREDENTIALS.secretAccessKey);

    // The identity provider, when the assembly has user pools and one is available.
    const pools = model.ofType('AWS::Cognito::UserPool');
    let identity: Awaited<ReturnType<LocalIdentity['start']>> | undefined;
    const tokenClients: Array<{
      name: string;
      poolId: string;
      clientId: string;
      clientSecret?: string;
      scopes: string[];
      flows: string[];
    }> = [];
    if (pools.length > 0) {
      // The scopes a pool's clients may be given: its resource servers' `<identifier>/<scope>`, and
      // the OpenID Connect ones (Cognito refuses a client naming any other: the deploy would fail).
      const declaredScopes = new Map<string, Set<string>>();
      for (const server of model.ofType('AWS::Cognito::UserPoolResourceServer')) {
        const props = model.properties(server);
        const scopes =
          declaredScopes.get(String(props.UserPoolId)) ?? new Set(['openid', 'email', 'phone', 'profile', 'aws.cognito.signin.user.admin']);
        for (const scope of (props.Scopes as Array<{ ScopeName: string }> | undefined) ?? [])
          scopes.add(`${String(props.Identifier)}/${scope.ScopeName}`);
        declaredScopes.set(String(props.UserPoolId), scopes);
      }
      for (const client of model.ofType('AWS::Cognito::UserPoolClient')) {
        const props = model.properties(client);
        const declared =
          declaredScopes.get(String(props.UserPoolId)) ?? new Set(['openid', 'email', 'phone', 'profile', 'aws.cognito.signin.user.admin']);
        const allowed = ((props.AllowedOAuthScopes as string[] | undefined) ?? []).map(String);
        const undeclared = allowed.filter((scope) => !declared.has(scope));
        if (undeclared.length > 0)
          stamp(
            `!!! user pool client ${client.stack.stackName}/${client.logicalId} allows scopes no resource server of its pool declares (Cognito would refuse them): ${undeclared.join(', ')}; left out`,
          );
        tokenClients.push({
          name: String(client.definition.Metadata?.['aws:cdk:path'] ?? `${client.stack.stackName}/${client.logicalId}`).replace(
            /\/Resource$/,
            '',
          ),
          poolId: String(props.UserPoolId),
          clientId: client.ref,
          clientSecret: props.GenerateSecret === true || props.GenerateSecret === 'true' ? client.attributes.ClientSecret : undefined,
          scopes: allowed.filter((scope) => declared.has(scope)),
          flows: (props.AllowedOAuthFlows as string[] | undefined) ?? [],
        });
      }
      if (options.identity !== undefined) {
        identity = await options.identity.start(
          pools.map((pool) => ({
            poolId: pool.ref,
            clients: tokenClients
              .filter((client) => client.poolId === pool.ref)
              .map((client) => ({
                clientId: client.clientId,
                clientSecret: client.clientSecret,
                allowedScopes: client.scopes,
                flows: client.flows,
              })),
          })),
        );
        closers.push(() => identity!.close());
      } else {
        stamp('!!! the assembly has Cognito user pools but no local identity provider is available: authorized routes answer 401');
      }
    }
    const rewriteIssuers = (value: string) =>
      identity === undefined
        ? value
        : value.replace(
            /^https:\/\/cognito-idp\.[\w-]+\.amazonaws\.com\/([\w-]+_\w+)(.*)$/,
            (_match, poolId: string, rest: string) => `${identity!.issuerFor(poolId)}${rest}`,
          );

    // Step Functions API (started before functions, which get its URL through the gateway).
    const functions = new Map<string, LocalFunction>();
    const functionResources = new Map<string, LocalResource>();
    let stepFunctionsUrl = '';
    const invokeFunction = async (identityValue: string, event: unknown, flow: string): Promise<InvokeOutcome> => {
      const fn = functionFor(identityValue);
      if (fn === undefined) {
        return {
          ok: false,
          error: { errorType: 'ResourceNotFoundException', errorMessage: `Function not found: ${identityValue}`, trace: [] },
          durationMs: 0,
        };
      }
      const outcome = await fn.invoke(event);
      stamp(
        `lambda   ${flow} → ${fn.spec.name}: ${outcome.ok ? 'ok' : `${outcome.error.errorType}: ${outcome.error.errorMessage}`} (${outcome.durationMs} ms)`,
      );
      return outcome;
    };
    const functionFor = (identityValue: string): LocalFunction | undefined => {
      const direct = functions.get(identityValue);
      if (direct !== undefined) return direct;
      // Aliases and versions: `<function ARN>:<qualifier>` → the function.
      const arn = /^(arn:aws:lambda:[^:]+:[^:]+:function:[^:]+)(:.+)?$/.exec(identityValue)?.[1];
      if (arn !== undefined && functions.has(arn)) return functions.get(arn);
      const alias = model.findByIdentity(identityValue);
      if (alias !== undefined && (alias.type === 'AWS::Lambda::Alias' || alias.type === 'AWS::Lambda::Version'))
        return functionFor(alias.ref.replace(/:[^:]+$/, ''));
      return undefined;
    };

    // Containers (ECS task definitions) run as local processes of a locally built image.
    const images = new Map<string, LocalImage>();
    const imageFor = (taskDefinition: LocalResource, container: Record<string, unknown>): LocalImage => {
      const image = JSON.stringify(container.Image);
      const asset =
        taskDefinition.stack.assets === undefined
          ? undefined
          : Object.entries(taskDefinition.stack.assets.dockerImages).find(([, entry]) =>
              Object.values(entry.destinations).some((destination) => image.includes(destination.imageTag)),
            );
      if (asset === undefined)
        throw new Error(
          `${taskDefinition.logicalId}: image ${image} is not an image asset of the assembly; only asset images can run locally`,
        );
      const [assetId, entry] = asset;
      const cached = images.get(assetId);
      if (cached !== undefined) return cached;
      const built = buildLocalImage({
        contextDirectory: path.resolve(taskDefinition.stack.directory, entry.source.directory ?? '.'),
        dockerfile: entry.source.dockerFile ?? 'Dockerfile',
        cacheKey: assetId,
        cacheDirectory: options.imageCacheDirectory ?? path.join(options.workDirectory, 'images'),
        projectDirectory: options.projectDirectory,
        log: stamp,
      });
      images.set(assetId, built);
      return built;
    };

    const gatewayUrlHolder = { url: '' };
    const awsEnvironment = (roleArn: string | undefined): Record<string, string> => {
      const key = roleArn === undefined ? undefined : keyOfRole.get(roleArn);
      return {
        AWS_ENDPOINT_URL: gatewayUrlHolder.url,
        AWS_ACCESS_KEY_ID: key ?? 'LOCALNOROLE',
        AWS_SECRET_ACCESS_KEY: 'x',
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
        AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      };
    };

    const runningTasks = new Set<ReturnType<typeof runContainer>>();
    closers.push(async () => {
      for (const task of runningTasks) task.child.kill('SIGTERM');
      await Promise.all([...runningTasks].map((task) => task.exited));
    });
    const runTask = async (parameters: Record<string, unknown>, flow: string): Promise<number | null> => {
      const taskDefinitionName = String(parameters.TaskDefinition);
      const taskDefinition = model
        .ofType('AWS::ECS::TaskDefinition')
        .find(
          (candidate) =>
            candidate.ref === taskDefinitionName ||
            candidate.name === taskDefinitionName ||
            candidate.ref.startsWith(`${taskDefinitionName}:`) ||
            candidate.ref.endsWith(`/${taskDefinitionName}`) ||
            candidate.ref.includes(`/${taskDefinitionName}:`),
        );
      if (taskDefinition === undefined) throw taskError('ECS.InvalidParameterException', `TaskDefinition not found: ${taskDefinitionName}`);
      const props = model.properties(taskDefinition);
      const overrides =
        (
          parameters.Overrides as
            | { ContainerOverrides?: Array<{ Name: string; Command?: string[]; Environment?: Array<{ Name: string; Value: string }> }> }
            | undefined
        )?.ContainerOverrides ?? [];
      const codes: Array<Promise<number | null>> = [];
      for (const container of (props.ContainerDefinitions as Array<Record<string, unknown>>) ?? []) {
        const override = overrides.find((candidate) => candidate.Name === container.Name);
        const environment: Record<string, string> = {};
        for (const variable of [
          ...((container.Environment as Array<{ Name: string; Value: string }>) ?? []),
          ...(override?.Environment ?? []),
        ]) {
          environment[variable.Name] = rewriteIssuers(String(variable.Value));
        }
        const image = imageFor(taskDefinition, container);
        const task = runContainer(
          image,
          override?.Command ?? (container.Command as string[] | undefined),
          { ...environment, ...awsEnvironment(String(props.TaskRoleArn)) },
          path.join(logs, `${taskDefinition.logicalId}.log`),
        );
        runningTasks.add(task);
        const started = Date.now();
        codes.push(
          task.exited.then((code) => {
            runningTasks.delete(task);
            stamp(`ecs      ${flow} → ${taskDefinition.logicalId}/${String(container.Name)} exited ${code} (${Date.now() - started} ms)`);
            return code;
          }),
        );
      }
      const results = await Promise.all(codes);
      return results.find((code) => code !== 0) ?? 0;
    };

    const stateMachines = model.ofType('AWS::StepFunctions::StateMachine').map((machine) => {
      const props = model.properties(machine);
      const definition = (typeof props.DefinitionString === 'string' ? JSON.parse(props.DefinitionString) : props.Definition) as {
        StartAt: string;
        States: Record<string, { Type: string; Resource?: string }>;
      };
      return {
        arn: machine.ref,
        name: machine.name,
        definition,
        runTask: async (stateName: string, resource: string, input: unknown): Promise<never> => {
          const flow = `states ${machine.name}.${stateName}`;
          if (options.checkTask !== undefined) {
            const role = principals.find((principal) => principal.roleArn === props.RoleArn) ?? {
              name: 'no role',
              roleArn: String(props.RoleArn),
              statements: [],
            };
            // RunTask given a family (or family:revision) acts on that revision's ARN, as ECS resolves it.
            const parameters =
              input !== null && typeof input === 'object' && typeof (input as { TaskDefinition?: unknown }).TaskDefinition === 'string'
                ? { ...(input as object), TaskDefinition: taskDefinitionArnOf(model, (input as { TaskDefinition: string }).TaskDefinition) }
                : input;
            const verdict = options.checkTask({
              principal: role,
              resource,
              parameters,
              resourcePolicies: resourcePoliciesOf(model),
              account: model.account,
              region,
              log: stamp,
            });
            if (!verdict.allowed) {
              stamp(`!!! DENIED ${flow}: ${verdict.message}`);
              // As Step Functions reports a service's refusal: Lambda's as Lambda.AWSLambdaException.
              const service = verdict.action.split(':')[0];
              throw taskError(
                service === 'lambda' ? 'Lambda.AWSLambdaException' : `${service.toUpperCase()}.AccessDeniedException`,
                verdict.message,
              );
            }
          }
          if (resource.startsWith('arn:aws:lambda:') || resource === 'arn:aws:states:::lambda:invoke') {
            const target =
              resource === 'arn:aws:states:::lambda:invoke' ? String((input as { FunctionName: string }).FunctionName) : resource;
            const payload = resource === 'arn:aws:states:::lambda:invoke' ? (input as { Payload?: unknown }).Payload : input;
            const outcome = await invokeFunction(target, payload, flow);
            if (!outcome.ok) throw taskError(outcome.error.errorType, outcome.error.errorMessage);
            const result = resource === 'arn:aws:states:::lambda:invoke' ? { Payload: outcome.result, StatusCode: 200 } : outcome.result;
            return result as never;
          }
          if (resource === 'arn:aws:states:::ecs:runTask.sync' || resource === 'arn:aws:states:::ecs:runTask') {
            const code = await runTask(input as Record<string, unknown>, flow);
            if (resource.endsWith('.sync') && code !== 0)
              throw taskError(
                'States.TaskFailed',
                JSON.stringify({
                  StopCode: 'EssentialContainerExited',
                  StoppedReason: `Essential container in task exited`,
                  Containers: [{ ExitCode: code }],
                }),
              );
            return { Tasks: [{ LastStatus: 'STOPPED', Containers: [{ ExitCode: code }] }] } as never;
          }
          throw taskError('States.Runtime', `${flow}: resource ${resource} is not emulated locally`);
        },
      };
    });
    const stepFunctions = await startStepFunctions({ host, machines: stateMachines, log: stamp });
    stepFunctionsUrl = stepFunctions.url;
    closers.push(() => stepFunctions.close());

    // The AWS gateway: one endpoint for every service, identifying callers by access key.
    const resourcePolicies = resourcePoliciesOf(model);
    const startGateway = options.startGateway;
    // The gateway module listens itself: a port in use gets the same clear error as the runner's own servers.
    const inUse = (error: NodeJS.ErrnoException) => {
      throw error.code === 'EADDRINUSE'
        ? new Error(`AWS endpoint: port ${gatewayPort} on ${host} is already in use; stop what holds it or choose another port`)
        : error;
    };
    const gateway: AwsGateway = await startGateway({
      host,
      port: gatewayPort,
      backends: { dynamodb: engines.dynamodb, s3: s3Front.url, sns: snsFront.url, sqs: engines.sqs, states: stepFunctionsUrl },
      principals: gatewayPrincipals,
      resourcePolicies,
      account: model.account,
      region,
      log: stamp,
      hashKeyOf: (tableArn) => {
        const table = model.ofType('AWS::DynamoDB::Table').find((candidate) => candidate.attributes.Arn === tableArn);
        return table === undefined
          ? undefined
          : ((model.properties(table).KeySchema as Array<{ AttributeName: string; KeyType: string }>) ?? []).find(
              (key) => key.KeyType === 'HASH',
            )?.AttributeName;
      },
      passRolesOf: (taskDefinitionArn) => {
        const definition = model
          .ofType('AWS::ECS::TaskDefinition')
          .find(
            (candidate) =>
              candidate.ref === taskDefinitionArn ||
              taskDefinitionArn.includes(`/${candidate.name}`) ||
              candidate.name === taskDefinitionArn,
          );
        if (definition === undefined) return [];
        const props = model.properties(definition);
        return [props.TaskRoleArn, props.ExecutionRoleArn].filter((arn): arn is string => typeof arn === 'string');
      },
    }).catch(inUse);
    gatewayUrlHolder.url = gateway.url;
    closers.push(() => gateway.close());

    // Lambda functions, started on first use.
    const notRunnable: string[] = [];
    for (const resource of model.ofType('AWS::Lambda::Function')) {
      const props = model.properties(resource);
      const assetPath = resource.definition.Metadata?.['aws:asset:path'];
      const runtime = String(props.Runtime ?? '');
      if (typeof assetPath !== 'string' || !runtime.startsWith('nodejs')) {
        notRunnable.push(
          `${resource.stack.stackName}/${resource.logicalId} (${runtime || 'container image'}${typeof assetPath === 'string' ? '' : ', inline code'})`,
        );
        continue;
      }
      const variables = ((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<
        string,
        unknown
      >;
      const environment: Record<string, string> = {};
      for (const [name, value] of Object.entries(variables)) environment[name] = rewriteIssuers(String(value));
      const fn = new LocalFunction({
        name: resource.name,
        arn: resource.attributes.Arn,
        codeDirectory: path.resolve(resource.stack.directory, assetPath),
        handler: String(props.Handler ?? 'index.handler'),
        timeoutSeconds: Number(props.Timeout ?? 3),
        memoryMb: Number(props.MemorySize ?? 128),
        environment: { ...environment, ...awsEnvironment(typeof props.Role === 'string' ? props.Role : undefined) },
        maxInstances: Math.max(1, Math.min(4, Number(props.ReservedConcurrentExecutions ?? 4))),
        logFile: path.join(logs, `${resource.logicalId}.log`),
      });
      functions.set(resource.attributes.Arn, fn);
      functions.set(resource.name, fn);
      functionResources.set(resource.attributes.Arn, resource);
      closers.push(() => fn.close());
    }
    if (notRunnable.length > 0) stamp(`functions not run locally (only Node.js bundles from cdk.out run): ${notRunnable.join('; ')}`);

    // Asynchronous invocation (EventBridge Scheduler, S3 → Lambda): retries per
    // EventInvokeConfig, then the OnFailure destination.
    const invokeAsync = async (functionIdentity: string, event: unknown, flow: string): Promise<boolean> => {
      const fn = functionFor(functionIdentity);
      const config = fn === undefined ? undefined : invokeConfigOf(model, fn.spec.arn);
      const attempts = 1 + (config?.maximumRetryAttempts ?? 2);
      let last: InvokeOutcome | undefined;
      for (let attempt = 1; attempt <= attempts; attempt += 1) {
        last = await invokeFunction(functionIdentity, event, `${flow} (async attempt ${attempt}/${attempts})`);
        if (last.ok) return true;
      }
      if (config?.onFailure !== undefined && last !== undefined && !last.ok) {
        const record = {
          version: '1.0',
          timestamp: new Date().toISOString(),
          requestContext: {
            requestId: randomUUID(),
            functionArn: `${fn!.spec.arn}:$LATEST`,
            condition: 'RetriesExhausted',
            approximateInvokeCount: attempts,
          },
          requestPayload: event,
          responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
          responsePayload: last.error,
        };
        await deliverTo(config.onFailure, JSON.stringify(record), `${flow} on-failure destination`);
      }
      return false;
    };
    late.invokeAsync = invokeAsync;
    const deliverTo = async (arn: string, body: string, flow: string) => {
      const target = model.findByIdentity(arn);
      if (target?.type === 'AWS::SQS::Queue') await deliverToQueue(sqs, target.ref, body);
      else if (target?.type === 'AWS::SNS::Topic') await deliverToTopic(sns, target.ref, body);
      else if (target?.type === 'AWS::Lambda::Function') void invokeAsync(arn, JSON.parse(body), flow);
      else throw new Error(`${flow}: destination ${arn} is not emulated`);
      stamp(`deliver  ${flow} → ${target.name}`);
    };

    // Event source mappings (SQS).
    for (const mapping of model.ofType('AWS::Lambda::EventSourceMapping')) {
      const props = model.properties(mapping);
      const source = model.findByIdentity(String(props.EventSourceArn));
      if (source?.type !== 'AWS::SQS::Queue') {
        stamp(`!!! event source mapping ${mapping.logicalId}: source ${String(props.EventSourceArn)} is not emulated (only SQS)`);
        continue;
      }
      const fn = functionFor(String(props.FunctionName));
      if (fn === undefined) {
        stamp(`!!! event source mapping ${mapping.logicalId}: function ${String(props.FunctionName)} does not run locally`);
        continue;
      }
      const enabled = props.Enabled !== false && props.Enabled !== 'false';
      const poller = startEventSourceMapping(
        {
          queueUrl: source.ref,
          queueArn: source.attributes.Arn,
          functionName: fn.spec.name,
          batchSize: Number(props.BatchSize ?? 10),
          batchingWindowSeconds: Number(props.MaximumBatchingWindowInSeconds ?? 0),
          reportBatchItemFailures: ((props.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
          concurrency: Math.min(2, Number((props.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency ?? 2)),
          enabled,
        },
        sqs,
        region,
        (event) => invokeFunction(fn.spec.arn, event, `sqs ${source.name}`),
        stamp,
      );
      if (!enabled) stamp(`event source mapping ${mapping.logicalId} is disabled in the template`);
      closers.push(() => poller.stop());
    }

    // S3 bucket notifications (the bucket's own configuration, or CDK's custom resource).
    const notifications = new Map<string, NotificationTarget[]>();
    for (const bucket of model.ofType('AWS::S3::Bucket')) {
      const configuration = model.properties(bucket).NotificationConfiguration as Record<string, unknown> | undefined;
      if (configuration !== undefined) notifications.set(bucket.name, notificationTargets(configuration));
    }
    for (const custom of model.ofType('Custom::S3BucketNotifications')) {
      const props = model.properties(custom);
      notifications.set(String(props.BucketName), [
        ...(notifications.get(String(props.BucketName)) ?? []),
        ...notificationTargets((props.NotificationConfiguration as Record<string, unknown>) ?? {}),
      ]);
    }
    const serviceAllowed = (service: string, action: string, targetArn: string, context: Record<string, string>): boolean => {
      const policy = resourcePolicies.find((entry) => entry.resourceArn === targetArn);
      const decision = evaluate({
        identity: [],
        resourcePolicy: policy?.statements ?? [],
        principal: { type: 'Service', id: service },
        action,
        resource: targetArn,
        context: { 'aws:SecureTransport': 'true', ...context },
      });
      if (decision.decision !== 'allow') stamp(`!!! DENIED ${service} ${action} on ${targetArn}: ${decision.reason}`);
      return decision.decision === 'allow';
    };
    serviceAllowedLate = serviceAllowed;
    const notify = async (bucket: string, target: NotificationTarget, body: string, flow: string) => {
      const context = { 'aws:SourceArn': `arn:aws:s3:::${bucket}`, 'aws:SourceAccount': model.account };
      if (target.kind === 'topic') {
        if (serviceAllowed('s3.amazonaws.com', 'sns:Publish', target.arn, context)) {
          await deliverToTopic(sns, target.arn, body, 'Amazon S3 Notification');
          stamp(`s3       ${flow} → topic ${target.arn.split(':').pop()}`);
        }
      } else if (target.kind === 'queue') {
        const queue = model.findByIdentity(target.arn);
        if (queue !== undefined && serviceAllowed('s3.amazonaws.com', 'sqs:SendMessage', target.arn, context)) {
          await deliverToQueue(sqs, queue.ref, body);
          stamp(`s3       ${flow} → queue ${queue.name}`);
        }
      } else {
        void invokeAsync(target.arn, JSON.parse(body), `s3 ${flow}`);
      }
    };
    for (const [bucket, targets] of notifications) {
      for (const target of targets)
        await notify(bucket, target, s3TestEvent(bucket), `s3:TestEvent ${bucket}`).catch((error: Error) =>
          stamp(`!!! s3:TestEvent to ${target.arn}: ${error.message}`),
        );
    }
    engines.onS3Event((event) => {
      for (const record of event.Records) {
        const bucket = record.s3.bucket.name;
        const targets = notifications.get(bucket) ?? [];
        const key = record.s3.object.key;
        const versionId =
          versioned.has(bucket) && record.eventName.startsWith('ObjectCreated')
            ? (s3Front.claimVersion(bucket, key) ?? randomUUID().replace(/-/g, ''))
            : undefined;
        for (const target of targets) {
          if (!eventMatches(record.eventName, target.events) || !key.startsWith(target.prefix) || !key.endsWith(target.suffix)) continue;
          const body = JSON.stringify({
            Records: [
              s3EventRecord({
                region,
                eventName: record.eventName,
                bucket,
                key,
                size: record.s3.object.size,
                eTag: record.s3.object.eTag,
                versionId,
                configurationId: target.id,
                principalId: 'AWS:LOCAL',
              }),
            ],
          });
          notify(bucket, target, body, `${record.eventName} ${bucket}/${key}`).catch((error: Error) =>
            stamp(`!!! s3 notification to ${target.arn}: ${error.message}`),
          );
        }
      }
    });

    // REST APIs.
    const apis: Record<string, string> = {};
    let firstApiUrl: string | undefined;
    const restApis = model.ofType('AWS::ApiGateway::RestApi');
    for (const [index, api] of restApis.entries()) {
      const server: RestApiServer = await startRestApi({
        model,
        api,
        host,
        port: index === 0 ? (options.ports?.api ?? 0) : 0,
        invokeFunction,
        issuerForUserPoolArn: (arn) => {
          const pool = model.findByIdentity(arn);
          return pool === undefined || identity === undefined ? undefined : identity.issuerFor(pool.ref);
        },
        verifyCognito: options.identity?.verify,
        log: stamp,
      });
      closers.push(() => server.close());
      for (const stageName of server.stages) {
        apis[`${api.stack.stackName}/${api.logicalId}/${stageName}`] = `${server.url}/${stageName}`;
        firstApiUrl ??= `${server.url}/${stageName}`;
      }
    }

    // ECS services behind load balancers: one local process per service, the listener's rules
    // applied by a local HTTP proxy.
    let exportUrl: string | undefined;
    const services = model.ofType('AWS::ECS::Service');
    for (const service of services) {
      const props = model.properties(service);
      const taskDefinition = model.ofType('AWS::ECS::TaskDefinition').find((candidate) => candidate.ref === props.TaskDefinition);
      if (taskDefinition === undefined) continue;
      const taskProps = model.properties(taskDefinition);
      const containers = (taskProps.ContainerDefinitions as Array<Record<string, unknown>>) ?? [];
      const loadBalancers =
        (props.LoadBalancers as Array<{ ContainerName: string; ContainerPort: number; TargetGroupArn: string }> | undefined) ?? [];
      const targets = new Map<string, string>();
      for (const container of containers) {
        const port = await freePort(host);
        const environment: Record<string, string> = {};
        for (const variable of (container.Environment as Array<{ Name: string; Value: string }>) ?? [])
          environment[variable.Name] = rewriteIssuers(String(variable.Value));
        const containerPorts = ((container.PortMappings as Array<{ ContainerPort: number }>) ?? []).map((mapping) =>
          Number(mapping.ContainerPort),
        );
        // The container listens on its port mapping's port; locally that port is remapped through
        // PORT (the variable the task's environment sets for it).
        if (containerPorts.length > 0) {
          for (const [name, value] of Object.entries(environment))
            if (value === String(containerPorts[0])) environment[name] = String(port);
        }
        const image = imageFor(taskDefinition, container);
        const task = runContainer(
          image,
          container.Command as string[] | undefined,
          { ...environment, ...awsEnvironment(String(taskProps.TaskRoleArn)) },
          path.join(logs, `${service.logicalId}.log`),
        );
        runningTasks.add(task);
        void task.exited.then((code) => {
          runningTasks.delete(task);
          stamp(`ecs      service ${service.name}/${String(container.Name)} exited ${code}`);
        });
        for (const balancer of loadBalancers.filter((entry) => entry.ContainerName === container.Name))
          targets.set(balancer.TargetGroupArn, `http://${host}:${port}`);
      }
      for (const listener of model.ofType('AWS::ElasticLoadBalancingV2::Listener')) {
        const listenerProps = model.properties(listener);
        const rules = model
          .ofType('AWS::ElasticLoadBalancingV2::ListenerRule')
          .filter((rule) => model.properties(rule).ListenerArn === listener.ref)
          .map((rule) => model.properties(rule))
          .sort((left, right) => Number(left.Priority) - Number(right.Priority));
        const uses = [
          ...((listenerProps.DefaultActions as Array<{ TargetGroupArn?: string }>) ?? []),
          ...rules.flatMap((rule) => (rule.Actions as Array<{ TargetGroupArn?: string }>) ?? []),
        ].some((action) => action.TargetGroupArn !== undefined && targets.has(action.TargetGroupArn));
        if (!uses) continue;
        const server = await startListener({
          host,
          port: options.ports?.alb ?? 0,
          defaultActions: (listenerProps.DefaultActions as Array<Record<string, unknown>>) ?? [],
          rules,
          targets,
          log: stamp,
          name: listener.logicalId,
        });
        closers.push(() => closeServer(server.server));
        exportUrl ??= server.url;
      }
    }

    // EventBridge Scheduler.
    const schedules = new Map<string, { resource: LocalResource; props: Record<string, unknown> }>();
    for (const schedule of model.ofType('AWS::Scheduler::Schedule'))
      schedules.set(schedule.name, { resource: schedule, props: model.properties(schedule) });
    const fire = async (name: string, scheduledTime: Date, manual: boolean): Promise<{ ok: boolean; detail: string }> => {
      // The schedule's name, or any part of its name, logical ID or construct path that is unique.
      const needle = name.toLowerCase();
      const candidates = [...schedules.values()].filter((candidate) =>
        [
          candidate.resource.name,
          candidate.resource.logicalId,
          String(candidate.resource.definition.Metadata?.['aws:cdk:path'] ?? ''),
        ].some((label) => label.toLowerCase().includes(needle)),
      );
      const entry = schedules.get(name) ?? (candidates.length === 1 ? candidates[0] : undefined);
      if (entry === undefined) {
        const known = [...schedules.keys()].join(', ');
        return {
          ok: false,
          detail:
            candidates.length > 1
              ? `"${name}" matches ${candidates.length} schedules: ${candidates.map((candidate) => candidate.resource.name).join(', ')}`
              : `no schedule matches "${name}"; schedules: ${known}`,
        };
      }
      const target = entry.props.Target as {
        Arn: string;
        Input?: string;
        RoleArn?: string;
        RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
        DeadLetterConfig?: { Arn?: string };
      };
      const input = (target.Input ?? '{}')
        .replace(/<aws\.scheduler\.scheduled-time>/g, scheduledTime.toISOString().replace(/\.\d{3}Z$/, 'Z'))
        .replace(/<aws\.scheduler\.execution-id>/g, randomUUID())
        .replace(/<aws\.scheduler\.schedule-arn>/g, entry.resource.attributes.Arn)
        .replace(/<aws\.scheduler\.attempt-number>/g, '1');
      const flow = `schedule ${entry.resource.name}${manual ? ' (on demand)' : ''}`;
      const role = principals.find((principal) => principal.roleArn === target.RoleArn);
      const targetResource =
        model.findByIdentity(target.Arn) ??
        (functionFor(target.Arn) === undefined ? undefined : functionResources.get(functionFor(target.Arn)!.spec.arn));
      const action =
        targetResource?.type === 'AWS::Lambda::Function'
          ? 'lambda:InvokeFunction'
          : targetResource?.type === 'AWS::SQS::Queue'
            ? 'sqs:SendMessage'
            : targetResource?.type === 'AWS::SNS::Topic'
              ? 'sns:Publish'
              : targetResource?.type === 'AWS::StepFunctions::StateMachine'
                ? 'states:StartExecution'
                : 'unknown';
      const decision = evaluate({
        identity: role?.statements ?? [],
        principal: { type: 'AWS', id: target.RoleArn ?? '' },
        action,
        resource: target.Arn,
        context: {},
      });
      const attempts = 1 + Number(target.RetryPolicy?.MaximumRetryAttempts ?? 185);
      let delivered = false;
      let reason = '';
      if (decision.decision !== 'allow') {
        reason = `role ${target.RoleArn} may not ${action} ${target.Arn}: ${decision.reason}`;
        stamp(`!!! DENIED ${flow}: ${reason}`);
      } else {
        for (let attempt = 1; attempt <= Math.min(attempts, 4) && !delivered; attempt += 1) {
          try {
            if (action === 'lambda:InvokeFunction') {
              // The scheduler invokes Lambda asynchronously: accepted = delivered; the function's
              // own failures follow its EventInvokeConfig.
              void invokeAsync(target.Arn, JSON.parse(input), flow);
            } else if (action === 'states:StartExecution') {
              const machine = stateMachines.find((candidate) => candidate.arn === target.Arn);
              await fetch(stepFunctionsUrl, {
                method: 'POST',
                headers: { 'x-amz-target': 'AWSStepFunctions.StartExecution' },
                body: JSON.stringify({ stateMachineArn: machine?.arn, input }),
              });
            } else {
              await deliverTo(target.Arn, input, flow);
            }
            delivered = true;
          } catch (error) {
            reason = (error as Error).message;
          }
        }
      }
      if (!delivered && target.DeadLetterConfig?.Arn !== undefined) {
        await deliverTo(target.DeadLetterConfig.Arn, input, `${flow} dead-letter`).catch(() => undefined);
      }
      stamp(`schedule ${flow} → ${delivered ? 'delivered' : `failed: ${reason}`}`);
      return { ok: delivered, detail: delivered ? `delivered to ${target.Arn}` : reason };
    };
    for (const [name, { props }] of schedules) {
      const expression = String(props.ScheduleExpression);
      const timezone = String(props.ScheduleExpressionTimezone ?? 'UTC');
      if (props.State === 'DISABLED') {
        stamp(`schedule ${name} is DISABLED in the template (${expression}); invoke it on demand`);
        continue;
      }
      const timer = scheduleTimer(expression, timezone, (time) => void fire(name, time, false));
      if (timer === undefined) stamp(`!!! schedule ${name}: expression ${expression} is not understood; invoke it on demand`);
      else closers.push(async () => timer.stop());
    }

    // TTL: a periodic sweep deletes expired items, as DynamoDB does (within minutes).
    const ttlTables = model
      .ofType('AWS::DynamoDB::Table')
      .map((table) => ({
        table,
        ttl: model.properties(table).TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined,
      }))
      .filter((entry) => entry.ttl?.Enabled === true && entry.ttl.AttributeName !== undefined);
    if (ttlTables.length > 0) {
      const dynamo = new DynamoDBClient({ endpoint: engines.dynamodb, region, credentials: DEVELOPER_CREDENTIALS });
      const sweep = setInterval(() => {
        for (const { table, ttl } of ttlTables) void sweepExpired(dynamo, model, table, ttl!.AttributeName!).catch(() => undefined);
      }, 60_000);
      sweep.unref();
      closers.push(async () => {
        clearInterval(sweep);
        dynamo.destroy();
      });
    }

    // The control endpoint (invoke-schedule) of this running instance.
    const control = http.createServer((request, response) => {
      const match = /^\/schedules\/([^/]+)\/invoke$/.exec(request.url ?? '');
      if (request.method !== 'POST' || match === null) {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: 'NotFound', message: 'POST /schedules/<name>/invoke' }));
        return;
      }
      void fire(decodeURIComponent(match[1]), new Date(), true).then((result) => {
        response.writeHead(result.ok ? 200 : 404, { 'content-type': 'application/json' });
        response.end(JSON.stringify(result));
      });
    });
    await listen(control, host, options.ports?.control ?? 0, 'control endpoint');
    closers.push(() => closeServer(control));
    const controlUrl = `http://${host}:${(control.address() as { port: number }).port}`;

    const byPath = (resources: LocalResource[], value: (resource: LocalResource) => string) =>
      Object.fromEntries(
        resources.map((resource) => [
          String(resource.definition.Metadata?.['aws:cdk:path'] ?? `${resource.stack.stackName}/${resource.logicalId}`).replace(
            /\/Resource$/,
            '',
          ),
          value(resource),
        ]),
      );
    const tokens: TokenClient[] =
      identity === undefined
        ? []
        : tokenClients
            .filter((client) => client.flows.includes('client_credentials') && client.clientSecret !== undefined)
            .map((client) => ({
              name: client.name,
              url: identity!.tokenUrl,
              clientId: client.clientId,
              clientSecret: client.clientSecret,
              scopes: client.scopes,
            }));
    const mostPrivileged = [...tokens].sort((a, b) => b.scopes.length - a.scopes.length)[0];
    const endpoints: Endpoints = {
      apiUrl: firstApiUrl,
      apis,
      s3Endpoint: gateway.url,
      gatewayUrl: gateway.url,
      region,
      credentials: DEVELOPER_CREDENTIALS,
      uploadsBucket: [...notifications.keys()][0],
      buckets: byPath(model.ofType('AWS::S3::Bucket'), (bucket) => bucket.name),
      tables: byPath(model.ofType('AWS::DynamoDB::Table'), (table) => table.name),
      queues: byPath(model.ofType('AWS::SQS::Queue'), (queue) => queue.ref),
      topics: byPath(model.ofType('AWS::SNS::Topic'), (topic) => topic.ref),
      stateMachines: byPath(model.ofType('AWS::StepFunctions::StateMachine'), (machine) => machine.ref),
      schedules: Object.fromEntries(
        [...schedules].map(([name, { props }]) => [
          name,
          {
            expression: String(props.ScheduleExpression),
            timezone: String(props.ScheduleExpressionTimezone ?? 'UTC'),
            state: String(props.State ?? 'ENABLED'),
          },
        ]),
      ),
      exportUrl,
      controlUrl,
      token: mostPrivileged,
      tokens,
      engines: { dynamodb: engines.dynamodb, s3: engines.s3, sqs: engines.sqs, sns: snsFront.url, states: stepFunctionsUrl },
    };
    return { endpoints, model, invokeSchedule: (name) => fire(name, new Date(), true), close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function createTables(model: CloudModel, engines: Engines): Promise<void> {
  const client = new DynamoDBClient({ endpoint: engines.dynamodb, region: model.region, credentials: DEVELOPER_CREDENTIALS });
  try {
    for (const table of model.ofType('AWS::DynamoDB::Table')) {
      const props = model.properties(table);
      const payPerRequest = props.BillingMode === 'PAY_PER_REQUEST';
      const throughput = payPerRequest
        ? { ReadCapacityUnits: 5, WriteCapacityUnits: 5 }
        : (props.ProvisionedThroughput as { ReadCapacityUnits: number; WriteCapacityUnits: number });
      const input: CreateTableCommandInput = {
        TableName: table.name,
        AttributeDefinitions: props.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
        KeySchema: props.KeySchema as CreateTableCommandInput['KeySchema'],
        ProvisionedThroughput: throughput,
        ...(props.GlobalSecondaryIndexes === undefined
          ? {}
          : {
              GlobalSecondaryIndexes: (props.GlobalSecondaryIndexes as Array<Record<string, unknown>>).map((index) => ({
                IndexName: index.IndexName as string,
                KeySchema: index.KeySchema as never,
                Projection: index.Projection as never,
                ProvisionedThroughput: (index.ProvisionedThroughput as never) ?? throughput,
              })),
            }),
        ...(props.LocalSecondaryIndexes === undefined ? {} : { LocalSecondaryIndexes: props.LocalSecondaryIndexes as never }),
      };
      try {
        await client.send(new CreateTableCommand(input));
      } catch (error) {
        if (!(error instanceof ResourceInUseException))
          throw new Error(`table ${table.logicalId}: ${(error as Error).message}`, { cause: error });
      }
    }
  } finally {
    client.destroy();
  }
}

async function createBuckets(model: CloudModel, engines: Engines): Promise<void> {
  const client = new S3Client({
    endpoint: engines.s3,
    region: model.region,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    forcePathStyle: true,
  });
  try {
    for (const bucket of model.ofType('AWS::S3::Bucket')) {
      try {
        await client.send(new CreateBucketCommand({ Bucket: bucket.name }));
      } catch (error) {
        const name = (error as Error).name;
        if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists')
          throw new Error(`bucket ${bucket.logicalId}: ${(error as Error).message}`, { cause: error });
      }
    }
  } finally {
    client.destroy();
  }
}

async function createQueuesAndTopics(model: CloudModel, engines: Engines, sns: SNSClient, visibilityScale: number): Promise<void> {
  const queues = model.ofType('AWS::SQS::Queue');
  // Dead-letter queues first: a redrive policy must name an existing queue.
  const ordered = [
    ...queues.filter((queue) => model.properties(queue).RedrivePolicy === undefined),
    ...queues.filter((queue) => model.properties(queue).RedrivePolicy !== undefined),
  ];
  for (const queue of ordered) {
    const props = model.properties(queue);
    const attributes: Record<string, string> = {};
    for (const key of [
      'DelaySeconds',
      'MaximumMessageSize',
      'MessageRetentionPeriod',
      'ReceiveMessageWaitTimeSeconds',
      'FifoQueue',
      'ContentBasedDeduplication',
    ]) {
      if (props[key] !== undefined) attributes[key] = String(props[key]);
    }
    const visibility = Number(props.VisibilityTimeout ?? 30);
    attributes.VisibilityTimeout = String(visibilityScale === 1 ? visibility : Math.max(1, Math.round(visibility * visibilityScale)));
    if (props.RedrivePolicy !== undefined) attributes.RedrivePolicy = JSON.stringify(props.RedrivePolicy);
    engines.createQueue(queue.name, queue.ref, queue.attributes.Arn, attributes);
  }
  for (const topic of model.ofType('AWS::SNS::Topic')) {
    const created = await sns.send(new CreateTopicCommand({ Name: topic.name }));
    if (created.TopicArn !== topic.ref)
      throw new Error(`topic ${topic.logicalId}: the engine named it ${created.TopicArn}, expected ${topic.ref}`);
  }
}

/** The topics' subscriptions (inline and AWS::SNS::Subscription), as the SNS front delivers them. */
function subscriptionsOf(model: CloudModel, log: (line: string) => void): SnsSubscription[] {
  const subscriptions: SnsSubscription[] = [];
  const add = (topicArn: string, protocol: string, endpoint: string, props: Record<string, unknown>, id: string) => {
    if (protocol !== 'sqs' && protocol !== 'lambda') {
      log(
        `!!! NOT EMULATED: ${protocol} subscription of ${topicArn.split(':').pop()} to ${endpoint} (sqs and lambda subscriptions are delivered locally)`,
      );
      return;
    }
    const policy =
      props.FilterPolicy === undefined
        ? undefined
        : typeof props.FilterPolicy === 'string'
          ? (JSON.parse(props.FilterPolicy) as Record<string, unknown>)
          : (props.FilterPolicy as Record<string, unknown>);
    subscriptions.push({
      arn: `${topicArn}:${id}`,
      topicArn,
      protocol,
      endpoint,
      filterPolicy: policy,
      filterPolicyScope: props.FilterPolicyScope === 'MessageBody' ? 'MessageBody' : 'MessageAttributes',
      rawMessageDelivery: props.RawMessageDelivery === true || props.RawMessageDelivery === 'true',
      deadLetterTargetArn: (props.RedrivePolicy as { deadLetterTargetArn?: string } | undefined)?.deadLetterTargetArn,
    });
  };
  for (const topic of model.ofType('AWS::SNS::Topic')) {
    for (const [index, inline] of (
      (model.properties(topic).Subscription as Array<{ Endpoint: string; Protocol: string }> | undefined) ?? []
    ).entries()) {
      add(topic.ref, inline.Protocol, inline.Endpoint, {}, `inline-${index}`);
    }
  }
  for (const subscription of model.ofType('AWS::SNS::Subscription')) {
    const props = model.properties(subscription);
    add(String(props.TopicArn), String(props.Protocol), String(props.Endpoint), props, subscription.logicalId);
  }
  return subscriptions;
}

async function sweepExpired(client: DynamoDBClient, model: CloudModel, table: LocalResource, attribute: string): Promise<void> {
  const keys = ((model.properties(table).KeySchema as Array<{ AttributeName: string }>) ?? []).map((key) => key.AttributeName);
  const now = Math.floor(Date.now() / 1000);
  let start: Record<string, never> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table.name, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const expires = Number(item[attribute]?.N);
      if (Number.isFinite(expires) && expires < now) {
        await client.send(new DeleteItemCommand({ TableName: table.name, Key: Object.fromEntries(keys.map((key) => [key, item[key]])) }));
      }
    }
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start !== undefined);
}

function envelopeFor(message: SnsMessage, subscription: SnsSubscription): string {
  return envelope(message, subscription, subscription.topicArn.split(':')[3] ?? 'us-east-1');
}

/** The ARN of the task definition a RunTask names by family, family:revision or ARN (the latest local revision). */
function taskDefinitionArnOf(model: CloudModel, name: string): string {
  if (name.startsWith('arn:')) return name;
  const family = name.split(':')[0];
  return model.ofType('AWS::ECS::TaskDefinition').find((candidate) => candidate.name === family)?.ref ?? name;
}
