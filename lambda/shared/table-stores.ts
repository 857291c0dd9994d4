import { ActivityStore } from '../store/activity-store';
import { FilesStore } from '../store/files-store';
import { ImportCheckpointsStore } from '../store/import-checkpoints-store';
import { ImportsStore } from '../store/imports-store';
import { UserImportStore } from '../store/user-import-store';
import { UsersStore } from '../store/users-store';
import { documentClient } from './clients/dynamodb';
import { lazy, requireEnv } from './env';

/**
 * The DynamoDB-backed stores handlers share, each built on first use from its table-name variable
 * (set, with the matching grant, by AppFunction.useTable). Kept apart from the S3-backed stores
 * (bucket-stores.ts): importing this module brings the DynamoDB client into a bundle.
 *
 * The /* @__PURE__ *\/ marks let esbuild drop every store a handler never uses (lazy() itself
 * cannot say so across files).
 */
export const usersStore = /* @__PURE__ */ lazy(() => new UsersStore(documentClient(), requireEnv('USERS_TABLE_NAME')));
export const activityStore = /* @__PURE__ */ lazy(() => new ActivityStore(documentClient(), requireEnv('ACTIVITY_TABLE_NAME')));
export const importsStore = /* @__PURE__ */ lazy(() => new ImportsStore(documentClient(), requireEnv('IMPORTS_TABLE_NAME')));
export const userImportStore = /* @__PURE__ */ lazy(() => new UserImportStore(documentClient(), requireEnv('USERS_TABLE_NAME')));
export const importCheckpointsStore = /* @__PURE__ */ lazy(
  () => new ImportCheckpointsStore(documentClient(), requireEnv('CHECKPOINTS_TABLE_NAME')),
);
export const filesStore = /* @__PURE__ */ lazy(() => new FilesStore(documentClient(), requireEnv('FILES_TABLE_NAME')));
