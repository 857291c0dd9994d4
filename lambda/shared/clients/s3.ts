import { S3Client } from '@aws-sdk/client-s3';
import { lazy } from '../env';
import { SDK_HTTP_TIMEOUTS } from './http-timeouts';

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
      requestHandler: SDK_HTTP_TIMEOUTS,
    }),
);
