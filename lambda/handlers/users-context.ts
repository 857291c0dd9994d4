import { documentClient } from '../shared/clients';
import { lazy, requireEnv } from '../shared/env';
import { UsersStore } from '../store/users-store';

/** The users store every users handler shares, built on first use from USERS_TABLE_NAME. */
export const usersStore = lazy(() => new UsersStore(documentClient(), requireEnv('USERS_TABLE_NAME')));
