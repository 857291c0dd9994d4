import type { PolicyStatement, Principal } from './runtime';
import type { CloudModel } from './model';

/** Every IAM role with the statements of the policies attached to it (inline and AWS::IAM::Policy). */
export function principalsOf(model: CloudModel): Principal[] {
  const principals: Principal[] = [];
  const policies = [...model.ofType('AWS::IAM::Policy'), ...model.ofType('AWS::IAM::ManagedPolicy')].map((policy) =>
    model.properties(policy),
  );
  for (const role of model.ofType('AWS::IAM::Role')) {
    const props = model.properties(role);
    const statements: PolicyStatement[] = [];
    for (const inline of (props.Policies as Array<{ PolicyDocument: { Statement: PolicyStatement[] } }> | undefined) ?? [])
      statements.push(...inline.PolicyDocument.Statement);
    for (const policy of policies) {
      const roles = (policy.Roles as string[] | undefined) ?? [];
      if (roles.includes(role.ref)) statements.push(...((policy.PolicyDocument as { Statement: PolicyStatement[] }).Statement ?? []));
    }
    for (const managed of (props.ManagedPolicyArns as string[] | undefined) ?? []) {
      const local = model.ofType('AWS::IAM::ManagedPolicy').find((policy) => policy.ref === managed);
      if (local !== undefined)
        statements.push(...((model.properties(local).PolicyDocument as { Statement: PolicyStatement[] }).Statement ?? []));
    }
    principals.push({ name: `${role.stack.stackName}/${role.logicalId}`, roleArn: role.attributes.Arn, statements });
  }
  return principals;
}

/** Resource policies: topic, queue and bucket policies, and Lambda permissions, per resource ARN. */
export function resourcePoliciesOf(model: CloudModel): Array<{ resourceArn: string; statements: PolicyStatement[] }> {
  const byArn = new Map<string, PolicyStatement[]>();
  const add = (arn: string, statements: PolicyStatement[]) => byArn.set(arn, [...(byArn.get(arn) ?? []), ...statements]);
  for (const policy of model.ofType('AWS::SNS::TopicPolicy')) {
    const props = model.properties(policy);
    for (const topic of (props.Topics as string[]) ?? []) add(topic, (props.PolicyDocument as { Statement: PolicyStatement[] }).Statement);
  }
  for (const policy of model.ofType('AWS::SQS::QueuePolicy')) {
    const props = model.properties(policy);
    for (const url of (props.Queues as string[]) ?? []) {
      const queue = model.findByIdentity(url);
      if (queue !== undefined) add(queue.attributes.Arn, (props.PolicyDocument as { Statement: PolicyStatement[] }).Statement);
    }
  }
  for (const policy of model.ofType('AWS::S3::BucketPolicy')) {
    const props = model.properties(policy);
    add(`arn:aws:s3:::${String(props.Bucket)}`, (props.PolicyDocument as { Statement: PolicyStatement[] }).Statement);
  }
  for (const permission of model.ofType('AWS::Lambda::Permission')) {
    const props = model.properties(permission);
    const fn = model.findByIdentity(String(props.FunctionName));
    const arn = fn?.attributes.Arn ?? String(props.FunctionName);
    const principal = String(props.Principal);
    const condition: Record<string, Record<string, unknown>> = {};
    if (props.SourceArn !== undefined) condition.ArnLike = { 'aws:SourceArn': props.SourceArn };
    if (props.SourceAccount !== undefined) condition.StringEquals = { 'aws:SourceAccount': props.SourceAccount };
    add(arn, [
      {
        Effect: 'Allow',
        Action: String(props.Action),
        Resource: arn,
        Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
        ...(Object.keys(condition).length === 0 ? {} : { Condition: condition }),
      },
    ]);
  }
  return [...byArn].map(([resourceArn, statements]) => ({ resourceArn, statements }));
}

export function invokeConfigOf(
  model: CloudModel,
  functionArn: string,
): { maximumRetryAttempts: number; onFailure: string | undefined } | undefined {
  for (const config of model.ofType('AWS::Lambda::EventInvokeConfig')) {
    const props = model.properties(config);
    const fn = model.findByIdentity(String(props.FunctionName));
    if (fn?.attributes.Arn !== functionArn) continue;
    const destination = (props.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined)?.OnFailure?.Destination;
    return { maximumRetryAttempts: Number(props.MaximumRetryAttempts ?? 2), onFailure: destination };
  }
  return undefined;
}
