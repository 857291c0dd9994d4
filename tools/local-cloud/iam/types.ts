/**
 * One IAM policy statement as it appears in a CloudFormation template once intrinsic functions are
 * resolved (identity policies, role inline policies, bucket/queue/topic policies).
 */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: '*' | { AWS?: string | string[]; Service?: string | string[]; Federated?: string | string[] };
  NotPrincipal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
