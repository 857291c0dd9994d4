import { queueArnFromUrl } from './requests';
import type { PolicyStatement } from './types';

/**
 * Collects, from a CloudFormation template whose intrinsic functions the runner has already
 * resolved, what the local IAM gateway needs: each role's statements (inline policies, AWS::IAM::Policy
 * and AWS::IAM::ManagedPolicy attached through `Roles`, customer managed policies listed in
 * `ManagedPolicyArns`) and each resource policy (queue, topic, bucket, KMS key, Lambda permission).
 * Generic: it reads resource types and properties only, never names of a particular app.
 */
export interface TemplateResource {
  Type: string;
  Properties?: Record<string, any>;
}

export interface TemplateContext {
  account: string;
  region: string;
  /**
   * What `Ref` gave for a logical ID when the runner resolved the template (role name, managed policy
   * ARN, queue URL, key id, function name). Used to find which role a `Roles: [name]` entry means.
   * Without an entry, a role's `RoleName` property or else its logical ID stands for its name.
   */
  refs?: Record<string, string>;
}

export interface RoleStatements {
  /** Statements by role logical ID. */
  roles: Map<string, PolicyStatement[]>;
  /** What could not be attributed or resolved (AWS managed policies, unknown roles). */
  warnings: string[];
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

export function statementsOf(document: unknown): PolicyStatement[] {
  if (!document || typeof document !== 'object') return [];
  return asArray((document as { Statement?: PolicyStatement | PolicyStatement[] }).Statement);
}

/** A role reference as the template holds it: a resolved name, or a still-unresolved `{ Ref }`. */
function roleKey(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (entry && typeof entry === 'object' && typeof (entry as { Ref?: unknown }).Ref === 'string') return (entry as { Ref: string }).Ref;
  return undefined;
}

export function collectRoleStatements(resources: Record<string, TemplateResource>, context: TemplateContext): RoleStatements {
  const roles = new Map<string, PolicyStatement[]>();
  const warnings: string[] = [];
  const roleByName = new Map<string, string>();
  const managedByArn = new Map<string, PolicyStatement[]>();

  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::IAM::Role') {
      roles.set(id, []);
      roleByName.set(id, id);
      const name = context.refs?.[id] ?? resource.Properties?.RoleName;
      if (typeof name === 'string') roleByName.set(name, id);
    }
    if (resource.Type === 'AWS::IAM::ManagedPolicy') {
      const arn =
        context.refs?.[id] ??
        (resource.Properties?.ManagedPolicyName
          ? `arn:aws:iam::${context.account}:policy/${resource.Properties.ManagedPolicyName}`
          : undefined);
      const statements = statementsOf(resource.Properties?.PolicyDocument);
      if (arn) managedByArn.set(arn, statements);
      managedByArn.set(id, statements);
    }
  }

  const attach = (roleEntry: unknown, statements: PolicyStatement[], from: string) => {
    const key = roleKey(roleEntry);
    const roleId = key === undefined ? undefined : roleByName.get(key);
    if (!roleId) {
      warnings.push(`${from} is attached to role ${JSON.stringify(roleEntry)}, which is not a role of this template; ignored`);
      return;
    }
    roles.get(roleId)!.push(...statements);
  };

  for (const [id, resource] of Object.entries(resources)) {
    const properties = resource.Properties ?? {};
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of asArray<any>(properties.Policies)) roles.get(id)!.push(...statementsOf(policy?.PolicyDocument));
      for (const arn of asArray<unknown>(properties.ManagedPolicyArns)) {
        const key = roleKey(arn);
        const statements = key === undefined ? undefined : managedByArn.get(key);
        if (statements) roles.get(id)!.push(...statements);
        else
          warnings.push(
            `role ${id}: managed policy ${JSON.stringify(arn)} is not defined in the template (AWS managed policies are not known locally); its permissions are not granted`,
          );
      }
    }
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      const statements = statementsOf(properties.PolicyDocument);
      for (const role of asArray<unknown>(properties.Roles)) attach(role, statements, `${resource.Type} ${id}`);
    }
  }
  return { roles, warnings };
}

export interface ResourcePolicy {
  resourceArn: string;
  statements: PolicyStatement[];
}

/** A Lambda permission as the statement AWS adds to the function's resource policy. */
function lambdaPermissionStatement(properties: Record<string, any>, functionArn: string): PolicyStatement {
  const principal: string = properties.Principal;
  const isService = typeof principal === 'string' && principal.endsWith('.amazonaws.com');
  const conditions: Record<string, Record<string, unknown>> = {};
  if (properties.SourceArn) conditions.ArnLike = { 'aws:SourceArn': properties.SourceArn };
  if (properties.SourceAccount) conditions.StringEquals = { 'aws:SourceAccount': properties.SourceAccount };
  const awsPrincipal = /^\d{12}$/.test(principal) ? `arn:aws:iam::${principal}:root` : principal;
  return {
    Effect: 'Allow',
    Principal: isService ? { Service: principal } : principal === '*' ? '*' : { AWS: awsPrincipal },
    Action: properties.Action,
    Resource: [functionArn, `${functionArn}:*`],
    ...(Object.keys(conditions).length ? { Condition: conditions } : {}),
  };
}

export function collectResourcePolicies(resources: Record<string, TemplateResource>, context: TemplateContext): ResourcePolicy[] {
  const policies = new Map<string, PolicyStatement[]>();
  const add = (arn: string, statements: PolicyStatement[]) => policies.set(arn, [...(policies.get(arn) ?? []), ...statements]);

  for (const [id, resource] of Object.entries(resources)) {
    const properties = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::SQS::QueuePolicy':
        for (const url of asArray<string>(properties.Queues)) {
          const arn = queueArnFromUrl(url, context);
          if (arn) add(arn, statementsOf(properties.PolicyDocument));
        }
        break;
      case 'AWS::SNS::TopicPolicy':
        for (const topic of asArray<string>(properties.Topics)) add(topic, statementsOf(properties.PolicyDocument));
        break;
      case 'AWS::S3::BucketPolicy':
        if (typeof properties.Bucket === 'string') add(`arn:aws:s3:::${properties.Bucket}`, statementsOf(properties.PolicyDocument));
        break;
      case 'AWS::KMS::Key': {
        const keyId = context.refs?.[id] ?? id;
        add(`arn:aws:kms:${context.region}:${context.account}:key/${keyId}`, statementsOf(properties.KeyPolicy));
        break;
      }
      case 'AWS::Lambda::Permission': {
        const name: unknown = properties.FunctionName;
        if (typeof name !== 'string') break;
        const arn = name.startsWith('arn:')
          ? name.split(':').slice(0, 7).join(':')
          : `arn:aws:lambda:${context.region}:${context.account}:function:${name}`;
        add(arn, [lambdaPermissionStatement(properties, arn)]);
        break;
      }
      default:
        break;
    }
  }
  return [...policies].map(([resourceArn, statements]) => ({ resourceArn, statements }));
}
