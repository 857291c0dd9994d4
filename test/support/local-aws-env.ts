/** Dummy credentials: dynalite accepts any, and startLocalS3 registers these with s3rver. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/**
 * Points the AWS SDK, as the real handlers create it, at local engines through the SDK's own
 * endpoint variables, with dummy credentials so nothing can reach a real account.
 */
export function useLocalAws(endpoints: { dynamodb?: string; s3?: string; sqs?: string; sns?: string; sfn?: string }): void {
  process.env.AWS_REGION = 'eu-west-1';
  process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  const variables: Record<string, string | undefined> = {
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_SNS: endpoints.sns,
    AWS_ENDPOINT_URL_SFN: endpoints.sfn,
  };
  for (const [name, value] of Object.entries(variables)) {
    if (value !== undefined) process.env[name] = value;
  }
}

/**
 * The environment a child process (the worker bundle) needs to use the local engines through the
 * SDK's standard variables: the same dummy credentials, and checksums only where S3 requires
 * them (s3rver stores streamed bodies corrupted otherwise; see test/support/local-s3.ts).
 */
export function localAwsEnv(endpoints: { dynamodb: string; s3?: string }): Record<string, string> {
  return {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    ...(endpoints.s3 === undefined ? {} : { AWS_ENDPOINT_URL_S3: endpoints.s3 }),
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  };
}
