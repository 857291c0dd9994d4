import { buildUser, normaliseNewUser, parseNewUser } from '../domain/user';
import { httpHandler, jsonResponse, parseJsonBody } from '../shared/http';
import { logger } from '../shared/logger';
import { usersStore } from './users-context';

/** POST /users: 201 with the user and its Location, 400 for an invalid body, 409 for a taken email. */
export const handler = httpHandler(async (event) => {
  const user = buildUser(normaliseNewUser(parseNewUser(parseJsonBody(event))), new Date());
  await usersStore().create(user);
  logger.info('User created', { userId: user.id });
  const collectionPath = (event.requestContext?.path ?? event.path).replace(/\/+$/, '');
  return jsonResponse(201, user, { Location: `${collectionPath}/${user.id}` });
});
