import { ActivityStore } from '../store/activity-store';
import { BucketStore } from '../store/bucket-store';
import { FilesStore } from '../store/files-store';
import { ImportCheckpointsStore } from '../store/import-checkpoints-store';
import { ImportsStore } from '../store/imports-store';
import { ObjectsStore } from '../store/objects-store';
import { UserImportStore } from '../store/user-import-store';
import { UsersStore } from '../store/users-store';
import { documentClient, s3Client } from './clients';
import { lazy, requireEnv } from './env';

/**
 * The stores handlers share, each built on first use from its table-name variable (set, with the
 * matching grant, by AppFunction.useTable).
 */
export const usersStore = lazy(() => new UsersStore(documentClient(), requireEnv('USERS_TABLE_NAME')));
export const activityStore = lazy(() => new ActivityStore(documentClient(), requireEnv('ACTIVITY_TABLE_NAME')));

export const importsStore = /* @__PURE__ */ lazy(() => new ImportsStore(documentClient(), requireEnv('IMPORTS_TABLE_NAME')));
export const userImportStore = /* @__PURE__ */ lazy(() => new UserImportStore(documentClient(), requireEnv('USERS_TABLE_NAME')));
export const uploadsBucket = /* @__PURE__ */ lazy(() => new BucketStore(s3Client(), requireEnv('UPLOADS_BUCKET_NAME')));
export const importCheckpointsStore = /* @__PURE__ */ lazy(() => new ImportCheckpointsStore(documentClient(), requireEnv('CHECKPOINTS_TABLE_NAME')));
export const filesStore = /* @__PURE__ */ lazy(() => new FilesStore(documentClient(), requireEnv('FILES_TABLE_NAME')));
export const objectsStore = /* @__PURE__ */ lazy(() => new ObjectsStore(s3Client()));
