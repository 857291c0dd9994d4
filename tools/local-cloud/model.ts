import { createHash } from 'node:crypto';
import type { AssemblyStack, TemplateResource } from './assembly';

/**
 * The local account. fauxqs (SQS/SNS) only knows 000000000000, so every ARN is made in it; the
 * assembly's own account, wherever it appears as a literal (permissions, conditions), is mapped to
 * it so references and literals keep agreeing.
 */
export const LOCAL_ACCOUNT = '000000000000';

/** A resource of the assembly, with the physical identity it has locally. */
export interface LocalResource {
  readonly stack: AssemblyStack;
  readonly logicalId: string;
  readonly type: string;
  readonly definition: TemplateResource;
  /** What `Ref` returns. */
  readonly ref: string;
  /** What `Fn::GetAtt` returns, per attribute (anything unlisted resolves to a clear placeholder). */
  readonly attributes: Record<string, string>;
  /** The physical name used by the local engine (table, bucket, queue, topic, function, ...). */
  readonly name: string;
}

export interface ModelOptions {
  readonly region: string;
  /** The base URL of the SQS engine, for queue URLs. */
  readonly sqsEndpoint: string;
}

/** Thrown when a template uses an intrinsic or reference the runner cannot resolve. */
export class UnresolvableError extends Error {}

/**
 * The whole assembly as one local cloud: every resource named, and every property resolvable to
 * plain values (Ref, GetAtt, Join, Sub, Select, Split, If, ImportValue, FindInMap, GetAZs,
 * Fn::GetStackOutput). Names are derived from stack name and logical ID like CloudFormation does,
 * never from anything this runner knows about the app.
 */
export class CloudModel {
  readonly account = LOCAL_ACCOUNT;
  readonly region: string;
  readonly resources: LocalResource[] = [];
  private readonly byStack = new Map<string, Map<string, LocalResource>>();
  private readonly assemblyAccounts: Set<string>;

  constructor(
    readonly stacks: AssemblyStack[],
    private readonly options: ModelOptions,
  ) {
    this.region = options.region;
    this.assemblyAccounts = new Set(stacks.map((stack) => stack.account).filter((account): account is string => account !== undefined));
    for (const stack of stacks) {
      const resources = new Map<string, LocalResource>();
      this.byStack.set(stack.artifactId, resources);
      for (const [logicalId, definition] of Object.entries(stack.template.Resources)) {
        const resource = this.identify(stack, logicalId, definition);
        resources.set(logicalId, resource);
        this.resources.push(resource);
      }
    }
    // Aliases and versions are named after their function (`<function ARN>:<qualifier>`), so an
    // invocation through them finds the function by stripping the qualifier.
    for (const resource of this.resources) {
      if (resource.type !== 'AWS::Lambda::Alias' && resource.type !== 'AWS::Lambda::Version') continue;
      const props = resource.definition.Properties ?? {};
      const functionName = this.resolveString(props.FunctionName, resource.stack);
      const target = this.findByIdentity(functionName);
      const qualifier = resource.type === 'AWS::Lambda::Alias' ? this.resolveString(props.Name, resource.stack) : '1';
      const arn = `${target?.attributes.Arn ?? functionName}:${qualifier}`;
      Object.assign(resource, { ref: arn, attributes: { ...resource.attributes, FunctionArn: arn, AliasArn: arn } });
    }
  }

  ofType(type: string): LocalResource[] {
    return this.resources.filter((resource) => resource.type === type);
  }

  resource(stack: AssemblyStack, logicalId: string): LocalResource {
    const found = this.byStack.get(stack.artifactId)?.get(logicalId);
    if (found === undefined) throw new UnresolvableError(`${stack.stackName}: no resource ${logicalId}`);
    return found;
  }

  /** The resource whose Ref, ARN or name is `value` (e.g. a FunctionName given as an ARN). */
  findByIdentity(value: string): LocalResource | undefined {
    return this.resources.find((resource) => resource.ref === value || resource.attributes.Arn === value || resource.name === value);
  }

  /** The resolved properties of a resource. */
  properties(resource: LocalResource): Record<string, unknown> {
    return (this.resolve(resource.definition.Properties ?? {}, resource.stack) as Record<string, unknown>) ?? {};
  }

  /** Resolves every intrinsic in `value`, in the context of `stack`. */
  resolve(value: unknown, stack: AssemblyStack): unknown {
    if (typeof value === 'string') return this.localizeAccount(value);
    if (Array.isArray(value)) return value.map((item) => this.resolve(item, stack)).filter((item) => item !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, argument] = entries[0];
      if (key === 'Ref' || key.startsWith('Fn::')) return this.intrinsic(key, argument, stack);
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const resolved = this.resolve(item, stack);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  resolveString(value: unknown, stack: AssemblyStack): string {
    const resolved = this.resolve(value, stack);
    if (typeof resolved !== 'string') return JSON.stringify(resolved);
    return resolved;
  }

  private localizeAccount(text: string): string {
    let out = text;
    for (const account of this.assemblyAccounts) out = out.split(account).join(LOCAL_ACCOUNT);
    return out;
  }

  private intrinsic(name: string, argument: unknown, stack: AssemblyStack): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(String(argument), stack);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(argument) ? (argument as string[]) : String(argument).split(/\.(.*)/s);
        const resource = this.resource(stack, logicalId);
        const found = resource.attributes[attribute];
        if (found !== undefined) return found;
        return `${resource.name}.${attribute}`;
      }
      case 'Fn::Join': {
        const [separator, items] = argument as [string, unknown[]];
        const list = this.resolve(items, stack) as unknown[];
        return list.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join(separator);
      }
      case 'Fn::Sub': {
        const [template, variables] = typeof argument === 'string' ? [argument, {}] : (argument as [string, Record<string, unknown>]);
        const resolvedVariables = this.resolve(variables, stack) as Record<string, unknown>;
        return this.localizeAccount(
          template.replace(/\$\{([^}!][^}]*)\}/g, (_match, expression: string) => {
            if (expression in resolvedVariables) return String(resolvedVariables[expression]);
            const [logicalId, attribute] = expression.split(/\.(.*)/s);
            if (attribute !== undefined && attribute !== '') return String(this.intrinsic('Fn::GetAtt', [logicalId, attribute], stack));
            return String(this.ref(logicalId, stack));
          }),
        ).replace(/\$\{!/g, '${');
      }
      case 'Fn::Select': {
        const [index, list] = argument as [unknown, unknown];
        const resolvedList = this.resolve(list, stack) as unknown[];
        return resolvedList[Number(this.resolve(index, stack))];
      }
      case 'Fn::Split': {
        const [separator, source] = argument as [string, unknown];
        return String(this.resolve(source, stack)).split(separator);
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = argument as [string, unknown, unknown];
        return this.resolve(this.condition(condition, stack) ? whenTrue : whenFalse, stack);
      }
      case 'Fn::Equals': {
        const [left, right] = this.resolve(argument, stack) as [unknown, unknown];
        return JSON.stringify(left) === JSON.stringify(right);
      }
      case 'Fn::Not':
        return !(this.resolve((argument as unknown[])[0], stack) as boolean);
      case 'Fn::And':
        return (this.resolve(argument, stack) as boolean[]).every(Boolean);
      case 'Fn::Or':
        return (this.resolve(argument, stack) as boolean[]).some(Boolean);
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((zone) => `${this.region}${zone}`);
      case 'Fn::FindInMap': {
        const [map, first, second] = this.resolve(argument, stack) as [string, string, string];
        return this.resolve(stack.template.Mappings?.[map]?.[first]?.[second], stack);
      }
      case 'Fn::ImportValue': {
        const exportName = this.resolveString(argument, stack);
        for (const other of this.stacks) {
          for (const output of Object.values(other.template.Outputs ?? {})) {
            if (output.Export !== undefined && this.resolveString(output.Export.Name, other) === exportName)
              return this.resolve(output.Value, other);
          }
        }
        throw new UnresolvableError(`${stack.stackName}: no stack exports ${exportName}`);
      }
      case 'Fn::GetStackOutput': {
        // Weak cross-stack references: resolved from the producing stack's output, as the CLI does.
        const { StackName, OutputName } = argument as { StackName: unknown; OutputName: unknown };
        const stackName = this.resolveString(StackName, stack);
        const producer = this.stacks.find((candidate) => candidate.stackName === stackName);
        const output = producer?.template.Outputs?.[this.resolveString(OutputName, stack)];
        if (producer === undefined || output === undefined) {
          throw new UnresolvableError(`${stack.stackName}: Fn::GetStackOutput ${stackName}.${String(OutputName)} is not in the assembly`);
        }
        return this.resolve(output.Value, producer);
      }
      case 'Fn::Base64':
        return Buffer.from(this.resolveString(argument, stack)).toString('base64');
      case 'Fn::ToJsonString':
        return JSON.stringify(this.resolve(argument, stack));
      default:
        throw new UnresolvableError(`${stack.stackName}: intrinsic ${name} is not supported by the local runner`);
    }
  }

  private condition(name: string, stack: AssemblyStack): boolean {
    const definition = stack.template.Conditions?.[name];
    if (definition === undefined) throw new UnresolvableError(`${stack.stackName}: no condition ${name}`);
    return Boolean(this.resolve(definition, stack));
  }

  private ref(name: string, stack: AssemblyStack): unknown {
    switch (name) {
      case 'AWS::AccountId':
        return LOCAL_ACCOUNT;
      case 'AWS::Region':
        return this.region;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stack.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${this.region}:${LOCAL_ACCOUNT}:stack/${stack.stackName}/local`;
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::NotificationARNs':
        return [];
      default:
        break;
    }
    const parameter = stack.template.Parameters?.[name];
    if (parameter !== undefined) {
      if (parameter.Default !== undefined) return this.resolve(parameter.Default, stack);
      throw new UnresolvableError(`${stack.stackName}: parameter ${name} has no default`);
    }
    return this.resource(stack, name).ref;
  }

  private identify(stack: AssemblyStack, logicalId: string, definition: TemplateResource): LocalResource {
    const { account, region } = { account: LOCAL_ACCOUNT, region: this.region };
    const props = definition.Properties ?? {};
    const explicit = (key: string) => (typeof props[key] === 'string' ? this.localizeAccount(props[key] as string) : undefined);
    const suffix = createHash('sha256').update(`${stack.stackName}/${logicalId}`).digest('hex').slice(0, 8);
    const generated = (max: number, lower = false) => {
      let base = `${stack.stackName}-${logicalId}`;
      if (lower) base = base.toLowerCase().replace(/[^a-z0-9-]/g, '-');
      return base.length + 9 > max ? `${base.slice(0, max - 9)}-${suffix}` : base;
    };
    const make = (ref: string, name: string, attributes: Record<string, string> = {}): LocalResource => ({
      stack,
      logicalId,
      type: definition.Type,
      definition,
      ref,
      name,
      attributes,
    });
    switch (definition.Type) {
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable': {
        const name = explicit('TableName') ?? generated(255);
        const arn = `arn:aws:dynamodb:${region}:${account}:table/${name}`;
        return make(name, name, { Arn: arn, StreamArn: `${arn}/stream/local` });
      }
      case 'AWS::S3::Bucket': {
        const name = explicit('BucketName') ?? generated(63, true);
        return make(name, name, {
          Arn: `arn:aws:s3:::${name}`,
          DomainName: `${name}.s3.amazonaws.com`,
          RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
          WebsiteURL: `http://${name}.s3-website.local`,
        });
      }
      case 'AWS::SNS::Topic': {
        const name = explicit('TopicName') ?? generated(256).replace(/[^A-Za-z0-9_-]/g, '-');
        const arn = `arn:aws:sns:${region}:${account}:${name}`;
        return make(arn, name, { TopicArn: arn, TopicName: name });
      }
      case 'AWS::SQS::Queue': {
        const fifo = props.FifoQueue === true || props.FifoQueue === 'true';
        const name = explicit('QueueName') ?? `${generated(fifo ? 75 : 80).replace(/[^A-Za-z0-9_-]/g, '-')}${fifo ? '.fifo' : ''}`;
        const url = `${this.options.sqsEndpoint}/${account}/${name}`;
        return make(url, name, { Arn: `arn:aws:sqs:${region}:${account}:${name}`, QueueName: name, QueueUrl: url });
      }
      case 'AWS::Lambda::Function': {
        const name = explicit('FunctionName') ?? generated(64);
        return make(name, name, { Arn: `arn:aws:lambda:${region}:${account}:function:${name}` });
      }
      case 'AWS::IAM::Role': {
        const name = explicit('RoleName') ?? generated(64);
        return make(name, name, { Arn: `arn:aws:iam::${account}:role/${name}`, RoleId: `AROA${suffix.toUpperCase()}` });
      }
      case 'AWS::StepFunctions::StateMachine': {
        const name = explicit('StateMachineName') ?? generated(80);
        const arn = `arn:aws:states:${region}:${account}:stateMachine:${name}`;
        return make(arn, name, { Arn: arn, Name: name, StateMachineRevisionId: 'local' });
      }
      case 'AWS::ECS::Cluster': {
        const name = explicit('ClusterName') ?? generated(255);
        return make(name, name, { Arn: `arn:aws:ecs:${region}:${account}:cluster/${name}` });
      }
      case 'AWS::ECS::TaskDefinition': {
        const name = explicit('Family') ?? generated(255);
        const arn = `arn:aws:ecs:${region}:${account}:task-definition/${name}:1`;
        return make(arn, name, { TaskDefinitionArn: arn });
      }
      case 'AWS::ECS::Service': {
        const name = explicit('ServiceName') ?? generated(255);
        const arn = `arn:aws:ecs:${region}:${account}:service/${name}`;
        return make(arn, name, { Name: name, ServiceArn: arn });
      }
      case 'AWS::Scheduler::ScheduleGroup': {
        const name = explicit('Name') ?? generated(64);
        return make(name, name, { Arn: `arn:aws:scheduler:${region}:${account}:schedule-group/${name}` });
      }
      case 'AWS::Scheduler::Schedule': {
        const name = explicit('Name') ?? generated(64);
        const group = explicit('GroupName') ?? 'default';
        return make(name, name, { Arn: `arn:aws:scheduler:${region}:${account}:schedule/${group}/${name}` });
      }
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer': {
        const name = generated(32);
        const arn = `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/app/${name}/${suffix}`;
        return make(arn, name, {
          LoadBalancerFullName: `app/${name}/${suffix}`,
          LoadBalancerName: name,
          DNSName: `${name}.local`,
          CanonicalHostedZoneID: 'LOCAL',
        });
      }
      case 'AWS::ElasticLoadBalancingV2::TargetGroup': {
        const name = generated(32);
        const arn = `arn:aws:elasticloadbalancing:${region}:${account}:targetgroup/${name}/${suffix}`;
        return make(arn, name, { TargetGroupFullName: `targetgroup/${name}/${suffix}`, TargetGroupName: name, LoadBalancerArns: '' });
      }
      case 'AWS::ElasticLoadBalancingV2::Listener': {
        const arn = `arn:aws:elasticloadbalancing:${region}:${account}:listener/app/${generated(32)}/${suffix}/${suffix}`;
        return make(arn, logicalId, { ListenerArn: arn });
      }
      case 'AWS::ApiGateway::RestApi': {
        const id = suffix.slice(0, 10);
        return make(id, explicit('Name') ?? logicalId, { RootResourceId: `${id}-root` });
      }
      case 'AWS::ApiGateway::Stage':
        return make(explicit('StageName') ?? logicalId, explicit('StageName') ?? logicalId);
      case 'AWS::Logs::LogGroup': {
        const name = explicit('LogGroupName') ?? `/local/${generated(255)}`;
        return make(name, name, { Arn: `arn:aws:logs:${region}:${account}:log-group:${name}:*` });
      }
      case 'AWS::KMS::Key':
        return make(suffix, logicalId, { Arn: `arn:aws:kms:${region}:${account}:key/${suffix}`, KeyId: suffix });
      case 'AWS::Lambda::Alias':
      case 'AWS::Lambda::Version': {
        // Aliases and versions point at their function: resolved to it when invoked.
        const ref = `${logicalId}-local`;
        return make(ref, logicalId, { Version: '1', FunctionArn: ref });
      }
      case 'AWS::Cognito::UserPool': {
        const id = `${region}_${suffix}`;
        return make(id, id, {
          Arn: `arn:aws:cognito-idp:${region}:${account}:userpool/${id}`,
          ProviderName: `cognito-idp.${region}.amazonaws.com/${id}`,
          ProviderURL: `https://cognito-idp.${region}.amazonaws.com/${id}`,
          UserPoolId: id,
        });
      }
      case 'AWS::Cognito::UserPoolResourceServer': {
        // Ref is the identifier, the prefix of its scopes (`<identifier>/<scope>`).
        const identifier = explicit('Identifier') ?? logicalId;
        return make(identifier, identifier);
      }
      case 'AWS::Cognito::UserPoolClient':
        return make(`client${suffix}`, logicalId, { ClientId: `client${suffix}`, ClientSecret: `secret-${suffix}` });
      default: {
        const ref = `${logicalId.toLowerCase()}-${suffix}`;
        return make(ref, logicalId, { Arn: `arn:aws:local:${region}:${account}:${logicalId}`, GroupId: `sg-${suffix}`, Id: ref });
      }
    }
  }
}

/** `Ref: AWS::NoValue`: the property is removed. */
export const NO_VALUE = Symbol('AWS::NoValue');
