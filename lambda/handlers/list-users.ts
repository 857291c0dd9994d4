import { decodeCursor, encodeCursor, parseLimit } from '../domain/pagination';
import { httpHandler, jsonResponse } from '../shared/http';
import { USERS_KEY_ATTRIBUTES } from '../store/users-store';
import { usersStore } from '../shared/table-stores';

/** GET /users?limit=&cursor=: one page of users and, when there may be more, the cursor of the next. */
export const handler = httpHandler(async (event) => {
  const query = event.queryStringParameters ?? {};
  const limit = parseLimit(query.limit);
  const startKey = decodeCursor(query.cursor, USERS_KEY_ATTRIBUTES);
  const page = await usersStore().list(limit, startKey);
  return jsonResponse(200, {
    users: page.users,
    ...(page.lastKey ? { nextCursor: encodeCursor(page.lastKey) } : {}),
  });
});
