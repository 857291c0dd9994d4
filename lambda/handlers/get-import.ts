import { NotFoundError } from '../domain/errors';
import { isImportId } from '../domain/import-job';
import { httpHandler, jsonResponse } from '../shared/http';
import { importsStore } from '../shared/table-stores';

/** GET /imports/{id}: an import's status and, once finished, its counts or the reason it failed. */
export const handler = httpHandler(async (event) => {
  const id = event.pathParameters?.id ?? '';
  const item = isImportId(id) ? await importsStore().get(id) : undefined;
  if (item === undefined) throw new NotFoundError(`No import has the ID ${JSON.stringify(id.slice(0, 100))}`);
  // expiresAt is the table's housekeeping, not part of the import.
  const { expiresAt: _expiresAt, ...status } = item;
  return jsonResponse(200, status);
});
