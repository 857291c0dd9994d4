import { FilesStore } from '../store/files-store';
import { ObjectsStore } from '../store/objects-store';
import { documentClient } from './clients';
import { lazy, requireEnv } from './env';
import { s3Client } from './s3-client';

/** The stores of the upload-processing function, each built on first use (see lambda/shared/stores.ts). */
export const filesStore = lazy(() => new FilesStore(documentClient(), requireEnv('FILES_TABLE_NAME')));
export const objectsStore = lazy(() => new ObjectsStore(s3Client()));
