import { evaluatePolicies } from './evaluate';
import type { IamRequest } from './requests';
import type { PolicyStatement } from './types';

/**
 * Authorizes a call already mapped to IAM requests, for one principal. The gateway uses it for HTTP
 * calls; a runner uses it directly for calls that never cross HTTP (a state machine's task
 * integrations run in-process by the Step Functions engine), so both are judged the same way.
 */
export interface LocalPrincipal {
  name: string;
  /** A role ARN, or a service principal (`sns.amazonaws.com`) that gets access from resource policies only. */
  roleArn: string;
  statements: PolicyStatement[];
}

export interface AuthorizeInput {
  principal: LocalPrincipal;
  requests: IamRequest[];
  resourcePolicies: Array<{ resourceArn: string; statements: PolicyStatement[] }>;
  account: string;
  region: string;
  /** For a service principal: the resource it acts for (aws:SourceArn), e.g. the topic delivering. */
  sourceArn?: string;
  /** What the call was, for the log line (`PutItem`, `Task LoadRecords`...). */
  operation?: string;
  log?: (line: string) => void;
}

export type AuthorizeResult =
  | { allowed: true }
  | { allowed: false; action: string; resource: string; decision: 'explicit-deny' | 'implicit-deny'; reason: string; message: string };

/** Resource policies apply to their ARN and, for buckets and tables, to everything under it. */
export function resourcePolicyFor(resource: string, policies: AuthorizeInput['resourcePolicies']): PolicyStatement[] {
  return policies
    .filter(({ resourceArn }) => resource === resourceArn || resource.startsWith(`${resourceArn}/`))
    .flatMap(({ statements }) => statements);
}

/** AWS's wording of a denial, with the local reason appended. */
export function denialMessage(roleArn: string, request: IamRequest, decision: 'explicit-deny' | 'implicit-deny', reason: string): string {
  const action = request.action.replace(/^sns:/, 'SNS:');
  const why =
    decision === 'explicit-deny'
      ? `with an explicit deny in a ${reason.includes('resource policy') ? 'resource-based' : 'identity-based'} policy`
      : `because no identity-based policy allows the ${action} action`;
  return `User: ${roleArn} is not authorized to perform: ${action} on resource: ${request.resource} ${why} (local IAM: ${reason})`;
}

export function isServicePrincipal(principal: LocalPrincipal): boolean {
  return !principal.roleArn.startsWith('arn:');
}

/** Every request must be allowed; the first one that is not decides, and is logged loudly. */
export function authorize(input: AuthorizeInput): AuthorizeResult {
  const { principal } = input;
  const isService = isServicePrincipal(principal);
  const now = new Date();
  const baseContext: Record<string, string> = {
    // Deployed SDK clients always use TLS; plain loopback HTTP stands in for it here.
    'aws:SecureTransport': 'true',
    'aws:RequestedRegion': input.region,
    'aws:CurrentTime': now.toISOString(),
    'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
    ...(isService
      ? input.sourceArn
        ? { 'aws:SourceArn': input.sourceArn, 'aws:SourceAccount': input.account }
        : {}
      : { 'aws:PrincipalArn': principal.roleArn, 'aws:PrincipalAccount': input.account, 'aws:PrincipalType': 'AssumedRole' }),
  };
  for (const request of input.requests) {
    const result = evaluatePolicies({
      identity: principal.statements,
      resourcePolicy: resourcePolicyFor(request.resource, input.resourcePolicies),
      principal: isService ? { type: 'Service', id: principal.roleArn } : { type: 'AWS', id: principal.roleArn },
      action: request.action,
      resource: request.resource,
      context: { ...baseContext, ...request.context },
    });
    if (result.decision !== 'allow') {
      input.log?.(
        `[local-iam] ACCESS DENIED ${principal.name} ${request.action} on ${request.resource} — ${result.reason}${input.operation ? ` (${input.operation})` : ''}`,
      );
      return {
        allowed: false,
        action: request.action,
        resource: request.resource,
        decision: result.decision,
        reason: result.reason,
        message: denialMessage(principal.roleArn, request, result.decision, result.reason),
      };
    }
  }
  return { allowed: true };
}
