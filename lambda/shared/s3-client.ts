import { S3Client } from '@aws-sdk/client-s3';
import { lazy } from './env';

/**
 * The S3 client, created once per execution environment. Its endpoint follows the SDK's standard
 * AWS_ENDPOINT_URL_S3 variable, like the other clients (lambda/shared/clients.ts).
 *
 * - Path-style addressing only with a custom endpoint: S3-compatible servers (s3rver, MinIO)
 *   serve buckets by path, while AWS itself prefers virtual-hosted style.
 * - Checksums only when an operation requires them: this client reads byte ranges, and a ranged
 *   read cannot be checked against a whole-object checksum anyway.
 */
export const s3Client = lazy(
  () =>
    new S3Client({
      forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
);
