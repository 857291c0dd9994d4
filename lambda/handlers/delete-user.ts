import { NotFoundError } from '../domain/errors';
import { isUserId } from '../domain/user-id';
import { emptyResponse, httpHandler } from '../shared/http';
import { logger } from '../shared/logger';
import { usersStore } from '../shared/table-stores';

/** DELETE /users/{id}: 204, or 404 when there is no such user. */
export const handler = httpHandler(async (event) => {
  const id = event.pathParameters?.id ?? '';
  const deleted = isUserId(id) && (await usersStore().delete(id));
  if (!deleted) throw new NotFoundError(`No user has the ID ${JSON.stringify(id.slice(0, 100))}`);
  logger.info('User deleted', { userId: id });
  return emptyResponse(204);
});
