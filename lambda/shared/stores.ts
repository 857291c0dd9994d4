import { ActivityStore } from '../store/activity-store';
import { UsersStore } from '../store/users-store';
import { documentClient } from './clients';
import { lazy, requireEnv } from './env';

/**
 * The stores handlers share, each built on first use from its table-name variable (set, with the
 * matching grant, by AppFunction.useTable).
 */
export const usersStore = lazy(() => new UsersStore(documentClient(), requireEnv('USERS_TABLE_NAME')));
export const activityStore = lazy(() => new ActivityStore(documentClient(), requireEnv('ACTIVITY_TABLE_NAME')));
