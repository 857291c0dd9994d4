import { NotFoundError } from '../domain/errors';
import { parseUserId } from '../domain/user-id';
import { emptyResponse, httpHandler } from '../shared/http';
import { logger } from '../shared/logger';
import { usersStore } from '../shared/table-stores';

/** DELETE /users/{id}: 204, or 404 when there is no such user. The ID is read in any case, as by GET. */
export const handler = httpHandler(async (event) => {
  const given = event.pathParameters?.id ?? '';
  const id = parseUserId(given);
  const deleted = id !== undefined && (await usersStore().delete(id));
  if (!deleted) throw new NotFoundError(`No user has the ID ${JSON.stringify(given.slice(0, 100))}`);
  logger.info('User deleted', { userId: id });
  return emptyResponse(204);
});
