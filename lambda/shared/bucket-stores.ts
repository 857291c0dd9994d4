import { BucketStore } from '../store/bucket-store';
import { ObjectsStore } from '../store/objects-store';
import { s3Client } from './clients/s3';
import { lazy, requireEnv } from './env';

/**
 * The S3-backed stores handlers share. Kept apart from the table stores (table-stores.ts) so a
 * handler that only touches objects bundles only the S3 client.
 *
 * The /* @__PURE__ *\/ marks let esbuild drop every store a handler never uses (lazy() itself
 * cannot say so across files).
 */
export const uploadsBucket = /* @__PURE__ */ lazy(() => new BucketStore(s3Client(), requireEnv('UPLOADS_BUCKET_NAME')));
export const objectsStore = /* @__PURE__ */ lazy(() => new ObjectsStore(s3Client()));
