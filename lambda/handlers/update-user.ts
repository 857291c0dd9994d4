import { NotFoundError } from '../domain/errors';
import { normaliseUserChanges, parseUserChanges } from '../domain/user';
import { parseUserId } from '../domain/user-id';
import { httpHandler, jsonResponse, parseJsonBody } from '../shared/http';
import { logger } from '../shared/logger';
import { usersStore } from '../shared/table-stores';

/**
 * PATCH /users/{id}: a JSON merge patch of the name and phone (`"phone": null` removes it). 200
 * with the changed user, 400 for an invalid change (an email, an unknown field, no field), 404
 * when there is no such user. The ID is read in any case, as by GET.
 */
export const handler = httpHandler(async (event) => {
  const changes = normaliseUserChanges(parseUserChanges(parseJsonBody(event)));
  const given = event.pathParameters?.id ?? '';
  const id = parseUserId(given);
  const user = id === undefined ? undefined : await usersStore().update(id, changes, new Date());
  if (user === undefined) throw new NotFoundError(`No user has the ID ${JSON.stringify(given.slice(0, 100))}`);
  logger.info('User updated', { userId: user.id, fields: Object.keys(changes) });
  return jsonResponse(200, user);
});
