import type { PolicyStatement } from './types';

/**
 * Same-account IAM policy evaluation, as AWS documents it for a role calling a resource in its own
 * account: an explicit Deny in any policy wins; otherwise an Allow in the identity policies OR in
 * the resource's policy (whose statement must name the caller) allows; otherwise the request is
 * implicitly denied. SCPs, permission boundaries, session policies and KMS key policies are not
 * part of this model (see docs/local-iam.md).
 */
export interface EvaluationInput {
  identity: PolicyStatement[];
  /**
   * The statements of the resource's own policy (bucket, queue, topic policy). Named
   * `resourcePolicy` because `resource` is the ARN being accessed (the brief gave both one name).
   */
  resourcePolicy?: PolicyStatement[];
  principal: { type: 'AWS' | 'Service'; id: string /* role ARN or service principal */ };
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
}

export interface EvaluationResult {
  decision: 'allow' | 'explicit-deny' | 'implicit-deny';
  reason: string;
}

export function evaluatePolicies(input: EvaluationInput): EvaluationResult {
  const context = normaliseContext(input.context);
  const skipped: string[] = [];
  const denies: string[] = [];
  const allows: string[] = [];

  const consider = (statements: PolicyStatement[], kind: 'identity' | 'resource') => {
    statements.forEach((statement, index) => {
      const label = statementLabel(kind, statement, index);
      if (kind === 'resource' && !principalMatches(statement, input.principal, statement.Effect)) return;
      if (!actionMatches(statement, input.action)) return;
      if (!resourceMatches(statement, input.resource)) return;
      const conditions = conditionsHold(statement.Condition, context);
      if (conditions.unsupported) {
        skipped.push(`${label} skipped: ${conditions.unsupported}`);
        return;
      }
      if (!conditions.hold) return;
      (statement.Effect === 'Deny' ? denies : allows).push(label);
    });
  };
  consider(input.identity, 'identity');
  consider(input.resourcePolicy ?? [], 'resource');

  const note = skipped.length ? ` (${skipped.join('; ')})` : '';
  if (denies.length) {
    return { decision: 'explicit-deny', reason: `explicitly denied by ${denies[0]}${note}` };
  }
  if (allows.length) {
    return { decision: 'allow', reason: `allowed by ${allows[0]}${note}` };
  }
  return { decision: 'implicit-deny', reason: `no statement allows ${input.action} on ${input.resource}${note}` };
}

function statementLabel(kind: 'identity' | 'resource', statement: PolicyStatement, index: number): string {
  const where = kind === 'identity' ? 'identity policy' : 'resource policy';
  return statement.Sid ? `${where} statement "${statement.Sid}" (#${index})` : `${where} statement #${index}`;
}

function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map((item) => String(item));
}

/** Glob with `*` (any run of characters) and `?` (one character), anchored at both ends. */
export function globMatches(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .split('')
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

/** Actions compare case-insensitively (`s3:getobject` is `s3:GetObject`). */
function actionMatches(statement: PolicyStatement, action: string): boolean {
  if (statement.Action !== undefined) return list(statement.Action).some((p) => globMatches(p, action, true));
  if (statement.NotAction !== undefined) return !list(statement.NotAction).some((p) => globMatches(p, action, true));
  return false;
}

function resourceMatches(statement: PolicyStatement, resource: string): boolean {
  if (statement.Resource !== undefined) return list(statement.Resource).some((p) => arnMatches(p, resource));
  if (statement.NotResource !== undefined) return !list(statement.NotResource).some((p) => arnMatches(p, resource));
  // Resource policies (bucket, queue, topic) may omit Resource only in malformed templates; be strict.
  return false;
}

/**
 * ARN matching as IAM does it: the first five colon-separated parts (arn, partition, service, region,
 * account) match part by part, so a wildcard cannot cross them; the resource part matches as a whole
 * glob, where `*` crosses `/` and `:`. Case-sensitive.
 */
export function arnMatches(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const patternParts = splitArn(pattern);
  const arnParts = splitArn(arn);
  if (!patternParts || !arnParts) return globMatches(pattern, arn);
  return patternParts.every((part, index) => globMatches(part, arnParts[index]));
}

function splitArn(value: string): string[] | undefined {
  const parts = value.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

function accountOf(arn: string): string | undefined {
  return splitArn(arn)?.[4];
}

/**
 * Does a resource-policy statement name this principal? Same account: a statement naming the role
 * (or `*`) grants by itself; one naming the account (`123456789012` or `:root`) only delegates to the
 * account's identity policies, so it grants nothing on its own, but its Deny still applies to every
 * principal of the account.
 */
function principalMatches(statement: PolicyStatement, principal: EvaluationInput['principal'], effect: 'Allow' | 'Deny'): boolean {
  if (statement.Principal !== undefined) return principalListed(statement.Principal, principal, effect);
  if (statement.NotPrincipal !== undefined) {
    return !principalListed(statement.NotPrincipal as PolicyStatement['Principal'], principal, 'Deny');
  }
  return false;
}

function principalListed(
  value: PolicyStatement['Principal'] | undefined,
  principal: EvaluationInput['principal'],
  effect: 'Allow' | 'Deny',
): boolean {
  if (value === undefined) return false;
  if (value === '*') return true;
  if (typeof value !== 'object' || value === null) return false;
  if (principal.type === 'Service') return list(value.Service).some((service) => service === principal.id || service === '*');
  return list(value.AWS).some((entry) => {
    if (entry === '*' || entry === principal.id) return true;
    const account = /^\d{12}$/.test(entry) ? entry : /^arn:[^:]+:iam::(\d{12}):root$/.exec(entry)?.[1];
    return account !== undefined && effect === 'Deny' && account === accountOf(principal.id);
  });
}

type Context = Map<string, string[]>;

function normaliseContext(context: Record<string, string | string[]>): Context {
  const map: Context = new Map();
  for (const [key, value] of Object.entries(context)) map.set(key.toLowerCase(), list(value));
  return map;
}

type ValueTest = (policyValue: string, contextValue: string) => boolean | undefined;

const NUMBER = (text: string) => (text.trim() === '' ? NaN : Number(text));
const DATE = (text: string) => (/^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text));

function compareWith(parse: (text: string) => number, test: (context: number, policy: number) => boolean): ValueTest {
  return (policyValue, contextValue) => {
    const policy = parse(policyValue);
    const actual = parse(contextValue);
    if (Number.isNaN(policy) || Number.isNaN(actual)) return false;
    return test(actual, policy);
  };
}

/** Positive operators; `negated` ones are the complement of a positive one. */
const OPERATORS: Record<string, { test: ValueTest; negated?: boolean }> = {
  StringEquals: { test: (p, c) => p === c },
  StringNotEquals: { test: (p, c) => p === c, negated: true },
  StringEqualsIgnoreCase: { test: (p, c) => p.toLowerCase() === c.toLowerCase() },
  StringNotEqualsIgnoreCase: { test: (p, c) => p.toLowerCase() === c.toLowerCase(), negated: true },
  StringLike: { test: (p, c) => globMatches(p, c) },
  StringNotLike: { test: (p, c) => globMatches(p, c), negated: true },
  ArnEquals: { test: (p, c) => arnMatches(p, c) },
  ArnLike: { test: (p, c) => arnMatches(p, c) },
  ArnNotEquals: { test: (p, c) => arnMatches(p, c), negated: true },
  ArnNotLike: { test: (p, c) => arnMatches(p, c), negated: true },
  Bool: { test: (p, c) => p.toLowerCase() === c.toLowerCase() },
  NumericEquals: { test: compareWith(NUMBER, (c, p) => c === p) },
  NumericNotEquals: { test: compareWith(NUMBER, (c, p) => c === p), negated: true },
  NumericLessThan: { test: compareWith(NUMBER, (c, p) => c < p) },
  NumericLessThanEquals: { test: compareWith(NUMBER, (c, p) => c <= p) },
  NumericGreaterThan: { test: compareWith(NUMBER, (c, p) => c > p) },
  NumericGreaterThanEquals: { test: compareWith(NUMBER, (c, p) => c >= p) },
  DateEquals: { test: compareWith(DATE, (c, p) => c === p) },
  DateNotEquals: { test: compareWith(DATE, (c, p) => c === p), negated: true },
  DateLessThan: { test: compareWith(DATE, (c, p) => c < p) },
  DateLessThanEquals: { test: compareWith(DATE, (c, p) => c <= p) },
  DateGreaterThan: { test: compareWith(DATE, (c, p) => c > p) },
  DateGreaterThanEquals: { test: compareWith(DATE, (c, p) => c >= p) },
};

/**
 * Every operator block and every key in it must hold (AND); the values listed for one key are
 * alternatives (OR). A key absent from the context makes a positive operator false and a negated one
 * (StringNotEquals, ArnNotLike...) true, as AWS documents; `...IfExists` makes it true; `Null` tests
 * presence. `ForAllValues:` holds when every context value matches (also when the key is absent),
 * `ForAnyValue:` when at least one does. Operators this evaluator cannot evaluate (IpAddress, Binary,
 * policy variables...) make the statement not match, and the reason says which.
 */
function conditionsHold(condition: PolicyStatement['Condition'], context: Context): { hold: boolean; unsupported?: string } {
  if (!condition) return { hold: true };
  let hold = true;
  for (const [rawOperator, block] of Object.entries(condition)) {
    let operator = rawOperator;
    let setQualifier: 'ForAllValues' | 'ForAnyValue' | undefined;
    const qualified = /^(ForAllValues|ForAnyValue):(.+)$/.exec(operator);
    if (qualified) {
      setQualifier = qualified[1] as 'ForAllValues' | 'ForAnyValue';
      operator = qualified[2];
    }
    const ifExists = operator.endsWith('IfExists');
    if (ifExists) operator = operator.slice(0, -'IfExists'.length);

    for (const [key, rawValues] of Object.entries(block ?? {})) {
      const policyValues = list(rawValues);
      if (policyValues.some((value) => value.includes('${'))) {
        return { hold: false, unsupported: `condition ${rawOperator} on ${key} uses a policy variable, which is not evaluated locally` };
      }
      const actual = context.get(key.toLowerCase());
      if (operator === 'Null' && !setQualifier && !ifExists) {
        const wantsAbsent = policyValues.some((value) => value.toLowerCase() === 'true');
        const absent = actual === undefined || actual.length === 0;
        if (wantsAbsent !== absent) hold = false;
        continue;
      }
      const spec = OPERATORS[operator];
      if (!spec) {
        return { hold: false, unsupported: `condition operator ${rawOperator} is not evaluated locally` };
      }
      const matchesOne = (contextValue: string) => policyValues.some((policyValue) => spec.test(policyValue, contextValue) === true);
      let keyHolds: boolean;
      if (actual === undefined || actual.length === 0) {
        if (setQualifier === 'ForAllValues') keyHolds = true;
        else if (setQualifier === 'ForAnyValue') keyHolds = false;
        else keyHolds = ifExists || spec.negated === true;
      } else if (setQualifier === 'ForAllValues') {
        keyHolds = actual.every((value) => (spec.negated ? !matchesOne(value) : matchesOne(value)));
      } else if (setQualifier === 'ForAnyValue') {
        keyHolds = actual.some((value) => (spec.negated ? !matchesOne(value) : matchesOne(value)));
      } else {
        const anyMatch = actual.some(matchesOne);
        keyHolds = spec.negated ? !anyMatch : anyMatch;
      }
      if (!keyHolds) hold = false;
    }
  }
  return { hold };
}
