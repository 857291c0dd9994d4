import { NotFoundError } from '../domain/errors';
import { isUserId } from '../domain/user-id';
import { httpHandler, jsonResponse } from '../shared/http';
import { usersStore } from '../shared/table-stores';

/** GET /users/{id}: the user, or 404. An ID that is not a user ID cannot exist, so it is a 404 too. */
export const handler = httpHandler(async (event) => {
  const id = event.pathParameters?.id ?? '';
  const user = isUserId(id) ? await usersStore().get(id) : undefined;
  if (user === undefined) throw new NotFoundError(`No user has the ID ${JSON.stringify(id.slice(0, 100))}`);
  return jsonResponse(200, user);
});
