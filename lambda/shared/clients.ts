import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { lazy } from './env';

/**
 * AWS SDK clients, created once per execution environment. Endpoints follow the SDK's standard
 * variables (for example AWS_ENDPOINT_URL_DYNAMODB), which is how tests point the real handlers at
 * local engines without any test-only code path.
 */
export const documentClient = lazy(() =>
  DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  }),
);

// The /* @__PURE__ */ marks let esbuild drop a client from every bundle whose handler never uses
// it: without them each handler that imports this module carries all of them (+196 KB for the
// users API's create-user, measured with the project's esbuild settings).

/**
 * S3, shared by every handler that reads or writes objects.
 *
 * - Checksums only where S3 requires them: the default (a checksum on every request) breaks
 *   streamed uploads to S3-compatible test servers, adds nothing S3's own Content-MD5/ETag checks
 *   do not already give small JSON objects, and a ranged read cannot be checked against a
 *   whole-object checksum anyway.
 * - Path-style addressing only with a custom endpoint (AWS_ENDPOINT_URL_S3): S3-compatible servers
 *   serve buckets by path, while AWS itself prefers virtual-hosted style.
 */
export const s3Client = /* @__PURE__ */ lazy(
  () =>
    new S3Client({
      forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
);
export const sfnClient = /* @__PURE__ */ lazy(() => new SFNClient({}));
export const snsClient = /* @__PURE__ */ lazy(() => new SNSClient({}));
