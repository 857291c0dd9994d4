import { buildUser, normaliseNewUser, parseNewUser } from '../domain/user';
import { httpHandler, jsonResponse, parseJsonBody } from '../shared/http';
import { logger } from '../shared/logger';
import { activityStore, usersStore } from '../shared/table-stores';

/** POST /users: 201 with the user and its Location, 400 for an invalid body, 409 for a taken email. */
export const handler = httpHandler(async (event) => {
  const now = new Date();
  const user = buildUser(normaliseNewUser(parseNewUser(parseJsonBody(event))), now);
  await usersStore().create(user);
  logger.info('User created', { userId: user.id });
  // The user exists now; a failed count must not turn that success into an error response.
  await activityStore()
    .add('usersCreated', now)
    .catch((error: unknown) => logger.warn('Could not count the new user in the daily activity', error as Error));
  const collectionPath = (event.requestContext?.path ?? event.path).replace(/\/+$/, '');
  return jsonResponse(201, user, { Location: `${collectionPath}/${user.id}` });
});
