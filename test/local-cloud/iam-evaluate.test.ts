import { arnMatches, evaluatePolicies, EvaluationInput } from '../../tools/local-cloud/iam/evaluate';
import type { PolicyStatement } from '../../tools/local-cloud/iam/types';

const ROLE = 'arn:aws:iam::111122223333:role/worker-role';
const TABLE = 'arn:aws:dynamodb:eu-west-1:111122223333:table/things';
const BUCKET = 'arn:aws:s3:::some-bucket';

function evaluate(overrides: Partial<EvaluationInput> & { identity: PolicyStatement[] }) {
  return evaluatePolicies({
    principal: { type: 'AWS', id: ROLE },
    action: 'dynamodb:PutItem',
    resource: TABLE,
    context: {},
    ...overrides,
  });
}

describe('evaluatePolicies: actions and resources', () => {
  it('allows an action granted on the exact resource and names the statement', () => {
    const result = evaluate({ identity: [{ Sid: 'Write', Effect: 'Allow', Action: ['dynamodb:PutItem'], Resource: TABLE }] });
    expect(result).toEqual({ decision: 'allow', reason: 'allowed by identity policy statement "Write" (#0)' });
  });

  it('denies implicitly when nothing grants, saying what was asked', () => {
    const result = evaluate({ identity: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: TABLE }] });
    expect(result).toEqual({
      decision: 'implicit-deny',
      reason: `no statement allows dynamodb:PutItem on ${TABLE}`,
    });
  });

  it('matches actions case-insensitively with * and ? wildcards', () => {
    expect(evaluate({ identity: [{ Effect: 'Allow', Action: 'DynamoDB:put*', Resource: TABLE }] }).decision).toBe('allow');
    expect(evaluate({ identity: [{ Effect: 'Allow', Action: 'dynamodb:?utItem', Resource: TABLE }] }).decision).toBe('allow');
    expect(evaluate({ identity: [{ Effect: 'Allow', Action: 'dynamodb:?Item', Resource: TABLE }] }).decision).toBe('implicit-deny');
    expect(evaluate({ identity: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }).decision).toBe('implicit-deny');
  });

  it('matches resources case-sensitively', () => {
    const upper = TABLE.replace('things', 'Things');
    expect(evaluate({ identity: [{ Effect: 'Allow', Action: '*', Resource: upper }] }).decision).toBe('implicit-deny');
  });

  it('lets a resource wildcard cross / in the resource part but not the account part', () => {
    expect(arnMatches('arn:aws:s3:::some-bucket/*', 'arn:aws:s3:::some-bucket/a/b/c.txt')).toBe(true);
    expect(arnMatches('arn:aws:s3:::some-bucket/*', 'arn:aws:s3:::some-bucket')).toBe(false);
    expect(arnMatches(`${TABLE}/index/*`, `${TABLE}/index/by-owner`)).toBe(true);
    expect(arnMatches('arn:aws:dynamodb:*:1111*:table/things', TABLE)).toBe(true);
    expect(arnMatches('arn:aws:dynamodb:eu-west-1:*', TABLE)).toBe(true);
    expect(arnMatches('arn:aws:dynamodb:eu-*:111122223333:table/things', 'arn:aws:dynamodb:eu-west-1:x:111122223333:table/things')).toBe(
      false,
    );
  });

  it('grants nothing on a table for its indexes (the /index/* ARN must be listed)', () => {
    const identity: PolicyStatement[] = [{ Effect: 'Allow', Action: 'dynamodb:Query', Resource: TABLE }];
    expect(evaluate({ identity, action: 'dynamodb:Query', resource: `${TABLE}/index/by-owner` }).decision).toBe('implicit-deny');
  });

  it('supports NotAction and NotResource', () => {
    const identity: PolicyStatement[] = [{ Effect: 'Allow', NotAction: 'dynamodb:DeleteItem', NotResource: `${TABLE}-audit` }];
    expect(evaluate({ identity }).decision).toBe('allow');
    expect(evaluate({ identity, action: 'dynamodb:DeleteItem' }).decision).toBe('implicit-deny');
    expect(evaluate({ identity, resource: `${TABLE}-audit` }).decision).toBe('implicit-deny');
  });

  it('lets an explicit Deny win over any Allow, naming the deny', () => {
    const result = evaluate({
      identity: [
        { Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' },
        { Sid: 'NoWrites', Effect: 'Deny', Action: 'dynamodb:PutItem', Resource: TABLE },
      ],
    });
    expect(result).toEqual({ decision: 'explicit-deny', reason: 'explicitly denied by identity policy statement "NoWrites" (#1)' });
  });

  it('treats a statement without Action or Resource as matching nothing', () => {
    expect(evaluate({ identity: [{ Effect: 'Allow', Resource: '*' }] }).decision).toBe('implicit-deny');
    expect(evaluate({ identity: [{ Effect: 'Allow', Action: '*' }] }).decision).toBe('implicit-deny');
  });
});

describe('evaluatePolicies: resource policies', () => {
  const objectArn = `${BUCKET}/uploads/a.txt`;
  const base = { action: 's3:GetObject', resource: objectArn, identity: [] as PolicyStatement[] };

  it('allows through a resource policy that names the role', () => {
    const resource: PolicyStatement[] = [{ Effect: 'Allow', Principal: { AWS: ROLE }, Action: 's3:GetObject', Resource: `${BUCKET}/*` }];
    expect(evaluate({ ...base, resourcePolicy: resource })).toEqual({
      decision: 'allow',
      reason: 'allowed by resource policy statement #0',
    });
  });

  it('ignores resource statements for other principals', () => {
    const resource: PolicyStatement[] = [
      { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/other' }, Action: 's3:GetObject', Resource: `${BUCKET}/*` },
      { Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 's3:GetObject', Resource: `${BUCKET}/*` },
    ];
    expect(evaluate({ ...base, resourcePolicy: resource }).decision).toBe('implicit-deny');
  });

  it('treats the account root as delegation: no grant by itself, but its Deny applies', () => {
    const allowRoot: PolicyStatement[] = [
      { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 's3:*', Resource: `${BUCKET}/*` },
    ];
    expect(evaluate({ ...base, resourcePolicy: allowRoot }).decision).toBe('implicit-deny');
    const denyAccount: PolicyStatement[] = [
      { Effect: 'Deny', Principal: { AWS: '111122223333' }, Action: 's3:*', Resource: `${BUCKET}/*` },
    ];
    const identity: PolicyStatement[] = [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }];
    expect(evaluate({ ...base, identity, resourcePolicy: denyAccount }).decision).toBe('explicit-deny');
  });

  it('matches service principals for service callers', () => {
    const resource: PolicyStatement[] = [
      {
        Sid: 'FromTopic',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: 'arn:aws:sqs:eu-west-1:111122223333:q',
      },
    ];
    const result = evaluatePolicies({
      identity: [],
      resourcePolicy: resource,
      principal: { type: 'Service', id: 'sns.amazonaws.com' },
      action: 'sqs:SendMessage',
      resource: 'arn:aws:sqs:eu-west-1:111122223333:q',
      context: {},
    });
    expect(result.decision).toBe('allow');
  });

  it('applies the usual TLS-only bucket Deny (Principal *) when the request is not secure', () => {
    const resource: PolicyStatement[] = [
      {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:*',
        Resource: [BUCKET, `${BUCKET}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ];
    const identity: PolicyStatement[] = [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/*` }];
    expect(evaluate({ ...base, identity, resourcePolicy: resource, context: { 'aws:SecureTransport': 'true' } }).decision).toBe('allow');
    expect(evaluate({ ...base, identity, resourcePolicy: resource, context: { 'aws:SecureTransport': 'false' } }).decision).toBe(
      'explicit-deny',
    );
  });

  it('honours NotPrincipal in a Deny', () => {
    const resource: PolicyStatement[] = [{ Effect: 'Deny', NotPrincipal: { AWS: ROLE }, Action: 's3:*', Resource: `${BUCKET}/*` }];
    const identity: PolicyStatement[] = [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }];
    expect(evaluate({ ...base, identity, resourcePolicy: resource }).decision).toBe('allow');
    const other = { type: 'AWS' as const, id: 'arn:aws:iam::111122223333:role/other' };
    expect(evaluate({ ...base, identity, resourcePolicy: resource, principal: other }).decision).toBe('explicit-deny');
  });
});

describe('evaluatePolicies: conditions', () => {
  const allowWith = (Condition: PolicyStatement['Condition']): PolicyStatement[] => [
    { Sid: 'Conditional', Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: TABLE, Condition },
  ];

  it('evaluates StringEquals / StringLike / StringNotEquals with OR across values', () => {
    const identity = allowWith({ StringEquals: { 'aws:RequestedRegion': ['eu-west-1', 'eu-central-1'] } });
    expect(evaluate({ identity, context: { 'aws:RequestedRegion': 'eu-west-1' } }).decision).toBe('allow');
    expect(evaluate({ identity, context: { 'aws:RequestedRegion': 'us-east-1' } }).decision).toBe('implicit-deny');
    const like = allowWith({ StringLike: { 's3:prefix': ['uploads/*'] } });
    expect(evaluate({ identity: like, context: { 's3:prefix': 'uploads/x' } }).decision).toBe('allow');
    expect(evaluate({ identity: like, context: { 's3:prefix': 'other/x' } }).decision).toBe('implicit-deny');
    const not = allowWith({ StringNotEquals: { 's3:prefix': 'secret/' } });
    expect(evaluate({ identity: not, context: { 's3:prefix': 'public/' } }).decision).toBe('allow');
    expect(evaluate({ identity: not, context: { 's3:prefix': 'secret/' } }).decision).toBe('implicit-deny');
  });

  it('requires every key and every operator to hold (AND)', () => {
    const identity = allowWith({
      StringEquals: { 'aws:RequestedRegion': 'eu-west-1', 'aws:PrincipalAccount': '111122223333' },
      Bool: { 'aws:SecureTransport': 'true' },
    });
    const full = { 'aws:RequestedRegion': 'eu-west-1', 'aws:PrincipalAccount': '111122223333', 'aws:SecureTransport': 'true' };
    expect(evaluate({ identity, context: full }).decision).toBe('allow');
    expect(evaluate({ identity, context: { ...full, 'aws:SecureTransport': 'false' } }).decision).toBe('implicit-deny');
    expect(evaluate({ identity, context: { ...full, 'aws:PrincipalAccount': '999999999999' } }).decision).toBe('implicit-deny');
  });

  it('reads condition keys case-insensitively', () => {
    const identity = allowWith({ StringEquals: { 'AWS:requestedregion': 'eu-west-1' } });
    expect(evaluate({ identity, context: { 'aws:RequestedRegion': 'eu-west-1' } }).decision).toBe('allow');
  });

  it('fails a positive condition on an absent key, unless IfExists; Null tests presence', () => {
    expect(evaluate({ identity: allowWith({ StringEquals: { 'aws:SourceArn': 'x' } }) }).decision).toBe('implicit-deny');
    expect(evaluate({ identity: allowWith({ StringEqualsIfExists: { 'aws:SourceArn': 'x' } }) }).decision).toBe('allow');
    expect(
      evaluate({ identity: allowWith({ StringEqualsIfExists: { 'aws:SourceArn': 'x' } }), context: { 'aws:SourceArn': 'y' } }).decision,
    ).toBe('implicit-deny');
    expect(evaluate({ identity: allowWith({ Null: { 'aws:SourceArn': 'true' } }) }).decision).toBe('allow');
    expect(evaluate({ identity: allowWith({ Null: { 'aws:SourceArn': 'false' } }) }).decision).toBe('implicit-deny');
    expect(evaluate({ identity: allowWith({ Null: { 'aws:SourceArn': 'false' } }), context: { 'aws:SourceArn': 'y' } }).decision).toBe(
      'allow',
    );
  });

  it('evaluates ArnLike / ArnEquals segment by segment', () => {
    const identity = allowWith({ ArnLike: { 'aws:SourceArn': 'arn:aws:sns:eu-west-1:111122223333:*' } });
    expect(evaluate({ identity, context: { 'aws:SourceArn': 'arn:aws:sns:eu-west-1:111122223333:topic' } }).decision).toBe('allow');
    expect(evaluate({ identity, context: { 'aws:SourceArn': 'arn:aws:sns:eu-west-1:999999999999:topic' } }).decision).toBe('implicit-deny');
    const equals = allowWith({ ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:eu-west-1:111122223333:topic' } });
    expect(evaluate({ identity: equals, context: { 'aws:SourceArn': 'arn:aws:sns:eu-west-1:111122223333:topic' } }).decision).toBe('allow');
  });

  it('evaluates Numeric and Date operators, failing on values that are not numbers', () => {
    const identity = allowWith({ NumericLessThanEquals: { 's3:max-keys': '100' } });
    expect(evaluate({ identity, context: { 's3:max-keys': '50' } }).decision).toBe('allow');
    expect(evaluate({ identity, context: { 's3:max-keys': '500' } }).decision).toBe('implicit-deny');
    expect(evaluate({ identity, context: { 's3:max-keys': 'lots' } }).decision).toBe('implicit-deny');
    const date = allowWith({ DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } });
    expect(evaluate({ identity: date, context: { 'aws:CurrentTime': '2026-11-30T00:00:00Z' } }).decision).toBe('allow');
    expect(evaluate({ identity: date, context: { 'aws:CurrentTime': '2031-01-01T00:00:00Z' } }).decision).toBe('implicit-deny');
  });

  it('evaluates ForAllValues / ForAnyValue on multi-valued keys such as dynamodb:LeadingKeys', () => {
    const identity = allowWith({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['user-1', 'user-2'] } });
    expect(evaluate({ identity, context: { 'dynamodb:LeadingKeys': ['user-1'] } }).decision).toBe('allow');
    expect(evaluate({ identity, context: { 'dynamodb:LeadingKeys': ['user-1', 'user-3'] } }).decision).toBe('implicit-deny');
    const any = allowWith({ 'ForAnyValue:StringLike': { 'dynamodb:Attributes': ['name*'] } });
    expect(evaluate({ identity: any, context: { 'dynamodb:Attributes': ['id', 'nameFirst'] } }).decision).toBe('allow');
    expect(evaluate({ identity: any, context: { 'dynamodb:Attributes': ['id'] } }).decision).toBe('implicit-deny');
    expect(evaluate({ identity: any }).decision).toBe('implicit-deny');
  });

  it('makes a negated operator true on an absent key, so a guarding Deny still applies', () => {
    const identity: PolicyStatement[] = [
      { Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' },
      {
        Sid: 'OnlyFromPipeline',
        Effect: 'Deny',
        Action: 'dynamodb:*',
        Resource: '*',
        Condition: { StringNotEquals: { 'aws:SourceArn': 'arn:aws:states:eu-west-1:111122223333:stateMachine:x' } },
      },
    ];
    expect(evaluate({ identity }).decision).toBe('explicit-deny');
    expect(evaluate({ identity, context: { 'aws:SourceArn': 'arn:aws:states:eu-west-1:111122223333:stateMachine:x' } }).decision).toBe(
      'allow',
    );
  });

  it('does not apply a statement with an operator it cannot evaluate, and says so', () => {
    const identity = allowWith({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } });
    const result = evaluate({ identity, context: { 'aws:SourceIp': '10.1.2.3' } });
    expect(result.decision).toBe('implicit-deny');
    expect(result.reason).toContain('condition operator IpAddress is not evaluated locally');
    expect(result.reason).toContain('"Conditional"');
  });

  it('does not apply a statement that uses policy variables, and says so', () => {
    const identity = allowWith({ StringEquals: { 's3:prefix': '${aws:username}/' } });
    const result = evaluate({ identity, context: { 's3:prefix': 'x/' } });
    expect(result.decision).toBe('implicit-deny');
    expect(result.reason).toContain('policy variable');
  });
});
