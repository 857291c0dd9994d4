import { GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { handler as createUser } from '../../lambda/handlers/create-user';
import { handler as deleteUser } from '../../lambda/handlers/delete-user';
import { handler as getUser } from '../../lambda/handlers/get-user';
import { handler as listUsers } from '../../lambda/handlers/list-users';
import { handler as updateUser } from '../../lambda/handlers/update-user';
import { apiEvent, lambdaContext } from '../support/events';
import { useLocalAws } from '../support/local-aws-env';
import { startLocalDynamo, type LocalDynamo } from '../support/local-dynamodb';
import { createActivityTable, createUsersTable } from '../support/stateful-tables';

let dynamo: LocalDynamo;
let tableName: string;
let activityTableName: string;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  useLocalAws({ dynamodb: dynamo.endpoint });
  tableName = await createUsersTable(dynamo);
  process.env.USERS_TABLE_NAME = tableName;
  activityTableName = await createActivityTable(dynamo);
  process.env.ACTIVITY_TABLE_NAME = activityTableName;
});

afterAll(async () => {
  await dynamo.stop();
});

const context = lambdaContext('users-api');

function post(body: string | undefined, extra: { isBase64Encoded?: boolean } = {}): Promise<APIGatewayProxyResult> {
  return createUser({ ...apiEvent({ method: 'POST', resource: '/users', body }), ...extra }, context);
}

function get(id: string): Promise<APIGatewayProxyResult> {
  return getUser(apiEvent({ method: 'GET', resource: '/users/{id}', path: `/users/${id}`, pathParameters: { id } }), context);
}

function remove(id: string): Promise<APIGatewayProxyResult> {
  return deleteUser(apiEvent({ method: 'DELETE', resource: '/users/{id}', path: `/users/${id}`, pathParameters: { id } }), context);
}

function patch(id: string, body: string | undefined): Promise<APIGatewayProxyResult> {
  return updateUser(apiEvent({ method: 'PATCH', resource: '/users/{id}', path: `/users/${id}`, pathParameters: { id }, body }), context);
}

function list(query?: Record<string, string>): Promise<APIGatewayProxyResult> {
  return listUsers(apiEvent({ method: 'GET', resource: '/users', query }), context);
}

function bodyOf(response: APIGatewayProxyResult): Record<string, unknown> {
  expect(response.headers?.['Content-Type']).toBe('application/json');
  return JSON.parse(response.body) as Record<string, unknown>;
}

async function storedItem(id: string) {
  const result = await dynamo.client.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: id } } }));
  return result.Item;
}

async function usersCreatedOn(day: string): Promise<number> {
  const result = await dynamo.client.send(new GetItemCommand({ TableName: activityTableName, Key: { pk: { S: `DAY#${day}` } } }));
  return Number(result.Item?.usersCreated?.N ?? 0);
}

describe('POST /users', () => {
  it('creates a user and answers 201 with the user and its Location', async () => {
    const response = await post(JSON.stringify({ name: '  Ada   Lovelace ', email: 'Ada@Example.com', phone: '+447700900123' }));

    expect(response.statusCode).toBe(201);
    const user = bodyOf(response);
    expect(user).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      phone: '+447700900123',
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
    expect(response.headers?.Location).toBe(`/v1/users/${user.id}`);
    const item = await storedItem(user.id as string);
    expect(item?.email).toEqual({ S: 'ada@example.com' });
  });

  it("counts each created user, and only created ones, in the day's activity", async () => {
    const day = new Date().toISOString().slice(0, 10);
    const countBefore = await usersCreatedOn(day);

    await post(JSON.stringify({ name: 'Counted Once', email: 'counted@example.com' }));
    await post(JSON.stringify({ name: 'Counted Once', email: 'counted@example.com' }));

    expect(await usersCreatedOn(day)).toBe(countBefore + 1);
  });

  it('answers 409 when the email is taken, whatever its case, and keeps the first user', async () => {
    const first = bodyOf(await post(JSON.stringify({ name: 'Grace Hopper', email: 'grace@example.com' })));

    const second = await post(JSON.stringify({ name: 'Someone Else', email: 'GRACE@example.com' }));

    expect(second.statusCode).toBe(409);
    expect(bodyOf(second)).toEqual({ error: 'Conflict', message: 'A user with the email grace@example.com already exists' });
    const item = await storedItem(first.id as string);
    expect(item?.name).toEqual({ S: 'Grace Hopper' });
  });

  it('answers 400 naming each invalid field, and stores nothing', async () => {
    const response = await post(JSON.stringify({ name: '   ', email: 'not-an-email', phone: '0123', admin: true }));

    expect(response.statusCode).toBe(400);
    const body = bodyOf(response);
    expect(body.error).toBe('BadRequest');
    const paths = (body.details as { path: string }[]).map((problem) => problem.path).sort();
    expect(paths).toEqual(['', 'email', 'name', 'phone']);
    expect(JSON.stringify(body.details)).toContain('admin');
  });

  it.each([
    ['malformed JSON', '{"name": "Ada",'],
    ['an empty body', undefined],
    ['a JSON array', '[{"name":"Ada","email":"ada@example.com"}]'],
    ['JSON null', 'null'],
    ['a JSON string', '"ada@example.com"'],
    ['a number for a name', '{"name": 42, "email": "n@example.com"}'],
  ])('answers 400 for %s', async (_case, body) => {
    const response = await post(body);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ error: 'BadRequest', message: expect.any(String) });
  });

  it('accepts a base64-encoded JSON body', async () => {
    const body = Buffer.from(JSON.stringify({ name: 'Encoded', email: 'encoded@example.com' })).toString('base64');

    const response = await post(body, { isBase64Encoded: true });

    expect(response.statusCode).toBe(201);
    expect(bodyOf(response).email).toBe('encoded@example.com');
  });
});

describe('GET /users/{id}', () => {
  it('returns the user', async () => {
    const created = bodyOf(await post(JSON.stringify({ name: 'Alan Turing', email: 'alan@example.com' })));

    const response = await get(created.id as string);

    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual(created);
  });

  it('answers 404 when no user has the ID', async () => {
    const response = await get('00000000-0000-5000-8000-000000000000');

    expect(response.statusCode).toBe(404);
    expect(bodyOf(response)).toMatchObject({ error: 'NotFound' });
  });

  it('returns the user for its ID written in upper-case hex', async () => {
    const created = bodyOf(await post(JSON.stringify({ name: 'Upper Case', email: 'upper-get@example.com' })));

    const response = await get((created.id as string).toUpperCase());

    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual(created);
  });

  it('returns the user for its ID with percent-encoded characters (REST APIs pass the path segment undecoded)', async () => {
    const created = bodyOf(await post(JSON.stringify({ name: 'Encoded Path', email: 'encoded-get@example.com' })));
    const id = created.id as string;
    // RFC 3986 6.2.2.2: a percent-encoded unreserved character is the character itself.
    const encoded = [...id].map((char, index) => (index % 2 === 0 ? `%${char.charCodeAt(0).toString(16).toUpperCase()}` : char)).join('');

    const response = await get(encoded);

    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual(created);
    expect((await get('%E0%A4%A')).statusCode).toBe(404);
  });

  it('answers 404 for an ID that is not a user ID at all', async () => {
    const response = await get('../../etc/passwd');

    expect(response.statusCode).toBe(404);
    expect(bodyOf(response).error).toBe('NotFound');
  });
});

describe('PATCH /users/{id}', () => {
  it('changes the name and phone, stamps updatedAt, and GET returns the changed user', async () => {
    const created = bodyOf(await post(JSON.stringify({ name: 'Grace Hopper', email: 'grace-patch@example.com' })));

    const response = await patch(created.id as string, JSON.stringify({ name: '  Grace   Brewster Hopper ', phone: '+12025550123' }));

    expect(response.statusCode).toBe(200);
    const changed = bodyOf(response);
    expect(changed).toEqual({
      ...created,
      name: 'Grace Brewster Hopper',
      phone: '+12025550123',
      updatedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
    expect(bodyOf(await get(created.id as string))).toEqual(changed);
  });

  it('removes the phone for "phone": null and leaves the other fields as they were', async () => {
    const created = bodyOf(await post(JSON.stringify({ name: 'Phone Owner', email: 'phone-owner@example.com', phone: '+447700900123' })));

    const changed = bodyOf(await patch(created.id as string, JSON.stringify({ phone: null })));

    expect(changed).not.toHaveProperty('phone');
    expect(changed).toMatchObject({ name: 'Phone Owner', email: 'phone-owner@example.com', createdAt: created.createdAt });
    expect((await storedItem(created.id as string))?.phone).toBeUndefined();
  });

  it('answers 400 for an email, naming why, and changes nothing', async () => {
    const created = bodyOf(await post(JSON.stringify({ name: 'Fixed Email', email: 'fixed@example.com' })));

    const response = await patch(created.id as string, JSON.stringify({ name: 'New Name', email: 'other@example.com' }));

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).details).toEqual([{ path: 'email', message: expect.stringContaining('cannot be changed') }]);
    expect(bodyOf(await get(created.id as string))).toEqual(created);
  });

  it.each([
    ['no field to change', '{}', ''],
    ['an unknown field', '{"name": "Ada", "admin": true}', ''],
    ['an invalid phone', '{"phone": "0123"}', 'phone'],
    ['a blank name', '{"name": "   "}', 'name'],
    ['a null name (only the phone can be removed)', '{"name": null}', 'name'],
  ])('answers 400 for %s, naming the field', async (_case, body, path) => {
    const created = bodyOf(
      await post(JSON.stringify({ name: 'Patch Target', email: `patch-400-${path || 'none'}-${body.length}@example.com` })),
    );

    const response = await patch(created.id as string, body);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ error: 'BadRequest', details: [expect.objectContaining({ path })] });
    expect(bodyOf(await get(created.id as string))).toEqual(created);
  });

  it.each([
    ['malformed JSON', '{"name": "Ada",'],
    ['an empty body', undefined],
    ['a JSON array', '[{"name":"Ada"}]'],
  ])('answers 400 for %s', async (_case, body) => {
    const response = await patch('00000000-0000-5000-8000-000000000000', body);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ error: 'BadRequest', message: expect.any(String) });
  });

  it('answers 404 for no such user, and creates none', async () => {
    const id = '00000000-0000-5000-8000-00000000beef';

    const response = await patch(id, JSON.stringify({ name: 'Ghost' }));

    expect(response.statusCode).toBe(404);
    expect(bodyOf(response).error).toBe('NotFound');
    expect(await storedItem(id)).toBeUndefined();
    expect((await patch('../../etc/passwd', JSON.stringify({ name: 'Ghost' }))).statusCode).toBe(404);
  });

  it('answers 404 after the user is deleted, never bringing back a partial user', async () => {
    const created = bodyOf(await post(JSON.stringify({ name: 'Deleted Soon', email: 'deleted-soon@example.com' })));
    expect((await remove(created.id as string)).statusCode).toBe(204);

    expect((await patch(created.id as string, JSON.stringify({ phone: '+447700900123' }))).statusCode).toBe(404);
    expect(await storedItem(created.id as string)).toBeUndefined();
  });

  it('changes the user for its ID written in upper-case hex, as GET reads it', async () => {
    const created = bodyOf(await post(JSON.stringify({ name: 'Upper Patch', email: 'upper-patch@example.com' })));

    const response = await patch((created.id as string).toUpperCase(), JSON.stringify({ name: 'Upper Patched' }));

    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toMatchObject({ id: created.id, name: 'Upper Patched' });
  });
});

describe('DELETE /users/{id}', () => {
  it('deletes the user: 204, then 404 on read and on a second delete', async () => {
    const created = bodyOf(await post(JSON.stringify({ name: 'Short Lived', email: 'short@example.com' })));

    const deleted = await remove(created.id as string);

    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expect(await storedItem(created.id as string)).toBeUndefined();
    expect((await get(created.id as string)).statusCode).toBe(404);
    expect((await remove(created.id as string)).statusCode).toBe(404);
  });
});

describe('DELETE /users/{id} with upper-case hex', () => {
  it('deletes the user, as GET reads it, and then answers 404 in either case', async () => {
    const created = bodyOf(await post(JSON.stringify({ name: 'Upper Delete', email: 'upper-delete@example.com' })));
    const upper = (created.id as string).toUpperCase();

    expect((await remove(upper)).statusCode).toBe(204);
    expect(await storedItem(created.id as string)).toBeUndefined();
    expect((await get(upper)).statusCode).toBe(404);
    expect((await remove(created.id as string)).statusCode).toBe(404);
  });
});

describe('POST /users: input rules shared with imports', () => {
  it('trims an email with surrounding whitespace and creates the user under the trimmed address', async () => {
    const response = await post(JSON.stringify({ name: 'Padded', email: '  Padded@Example.com \n' }));

    expect(response.statusCode).toBe(201);
    expect(bodyOf(response).email).toBe('padded@example.com');
  });

  it.each([
    ['an email whose domain label ends in a hyphen', { name: 'Ada', email: 'ada@example-.com' }, 'email'],
    ['an email with a 65-octet local part', { name: 'Ada', email: `${'a'.repeat(65)}@example.com` }, 'email'],
    ['a name with a NUL character', { name: 'Ada\u0000', email: 'nul@example.com' }, 'name'],
    ['a name with a right-to-left override', { name: '\u202eAda', email: 'rlo@example.com' }, 'name'],
    ['a name of only zero-width spaces', { name: '\u200b\u200b', email: 'zwsp@example.com' }, 'name'],
  ])('answers 400 naming the field for %s, and stores nothing', async (_case, body, field) => {
    const before = await dynamo.client.send(new ScanCommand({ TableName: tableName, Select: 'COUNT' }));

    const response = await post(JSON.stringify(body));

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).details).toEqual([{ path: field, message: expect.stringMatching(/^must /) }]);
    const after = await dynamo.client.send(new ScanCommand({ TableName: tableName, Select: 'COUNT' }));
    expect(after.Count).toBe(before.Count);
  });

  it('answers 400 for a name with an unpaired surrogate (a body JSON can carry), instead of a server error', async () => {
    const response = await post('{"name":"Ada\\ud800","email":"surrogate@example.com"}');

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).details).toEqual([{ path: 'name', message: expect.stringMatching(/unpaired UTF-16 surrogate/) }]);
  });
});

describe('GET /users', () => {
  it('pages through every user exactly once, never more than `limit` a page', async () => {
    for (let i = 0; i < 7; i += 1) {
      await post(JSON.stringify({ name: `Page User ${i}`, email: `page-${i}@example.com` }));
    }
    const scanned = await dynamo.client.send(new ScanCommand({ TableName: tableName, Select: 'COUNT' }));

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const response = await list({ limit: '3', ...(cursor ? { cursor } : {}) });
      expect(response.statusCode).toBe(200);
      const body = bodyOf(response) as { users: { id: string }[]; nextCursor?: string };
      expect(body.users.length).toBeLessThanOrEqual(3);
      seen.push(...body.users.map((user) => user.id));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor !== undefined && pages < 50);

    expect(pages).toBeGreaterThan(2);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(scanned.Count);
  });

  it('uses a page size of 25 when no limit is given', async () => {
    const response = await list();

    expect(response.statusCode).toBe(200);
    expect((bodyOf(response).users as unknown[]).length).toBeLessThanOrEqual(25);
  });

  it.each([['0'], ['101'], ['abc'], ['-1'], ['2.5']])('answers 400 for limit=%s', async (limit) => {
    const response = await list({ limit });

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ error: 'BadRequest', details: [{ path: 'limit', message: expect.any(String) }] });
  });

  it.each([
    ['not base64url', '%%%'],
    ['base64 of something that is not JSON', Buffer.from('hello').toString('base64url')],
    ['a key of the wrong shape', Buffer.from(JSON.stringify({ pk: 'x', sk: 'y' })).toString('base64url')],
    ['a key with a non-string value', Buffer.from(JSON.stringify({ id: 7 })).toString('base64url')],
  ])('answers 400 for a cursor that is %s', async (_case, cursor) => {
    const response = await list({ cursor });

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ error: 'BadRequest', details: [{ path: 'cursor' }] });
  });
});

describe('users created by an import', () => {
  it('are returned with the user fields only, without the import bookkeeping on their items', async () => {
    const id = '11111111-2222-5333-8444-555555555555';
    await dynamo.client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          id: { S: id },
          name: { S: 'Imported Person' },
          email: { S: 'imported@example.com' },
          createdAt: { S: '2026-11-20T10:00:00.000Z' },
          importId: { S: 'import-users-abc' },
          importLine: { N: '42' },
        },
      }),
    );

    const response = await get(id);

    expect(bodyOf(response)).toEqual({ id, name: 'Imported Person', email: 'imported@example.com', createdAt: '2026-11-20T10:00:00.000Z' });
  });
});
