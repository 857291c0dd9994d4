import { NotFoundError } from '../domain/errors';
import { parseUserId } from '../domain/user-id';
import { httpHandler, jsonResponse } from '../shared/http';
import { usersStore } from '../shared/table-stores';

/** GET /users/{id}: the user, or 404. The ID is read in any case; one that is not a user ID cannot exist, so it is a 404 too. */
export const handler = httpHandler(async (event) => {
  const given = event.pathParameters?.id ?? '';
  const id = parseUserId(given);
  const user = id === undefined ? undefined : await usersStore().get(id);
  if (user === undefined) throw new NotFoundError(`No user has the ID ${JSON.stringify(given.slice(0, 100))}`);
  return jsonResponse(200, user);
});
