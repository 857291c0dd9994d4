import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import { handler as createUser } from '../../lambda/handlers/create-user';
import { handler as deleteUser } from '../../lambda/handlers/delete-user';
import { handler as getUser } from '../../lambda/handlers/get-user';
import { handler as listUsers } from '../../lambda/handlers/list-users';
import { handler as updateUser } from '../../lambda/handlers/update-user';
import { newUserSchema } from '../../lambda/domain/user';
import { userIdForEmail } from '../../lambda/domain/user-id';
import * as z from 'zod/mini';
import { apiEvent, lambdaContext } from '../support/events';
import { useLocalAws } from '../support/local-aws-env';
import { startLocalDynamo, type LocalDynamo } from '../support/local-dynamodb';
import { createActivityTable, createUsersTable } from '../support/stateful-tables';

/**
 * Bad input, at scale: whatever a client sends, the users API answers a 2xx or a 4xx with a JSON
 * body (never a 5xx), and only valid users are ever stored.
 */
let dynamo: LocalDynamo;
let tableName: string;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  useLocalAws({ dynamodb: dynamo.endpoint });
  tableName = await createUsersTable(dynamo);
  process.env.USERS_TABLE_NAME = tableName;
  process.env.ACTIVITY_TABLE_NAME = await createActivityTable(dynamo);
});

afterAll(async () => {
  await dynamo.stop();
});

const context = lambdaContext('users-api');
const RUNS = { numRuns: 150 };

function expectClientSafe(response: APIGatewayProxyResult): void {
  expect(response.statusCode).toBeGreaterThanOrEqual(200);
  expect(response.statusCode).toBeLessThan(500);
  if (response.statusCode !== 204) {
    const body = JSON.parse(response.body) as Record<string, unknown>;
    if (response.statusCode >= 400) expect(body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
  }
}

/** Bodies a careless or hostile client might send. */
const bodies = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.json(),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc
    .record(
      {
        name: fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 150 }),
          fc.integer(),
          fc.constant(null),
          fc.string({ minLength: 90, maxLength: 120 }),
        ),
        email: fc.oneof(fc.emailAddress(), fc.string({ unit: 'grapheme' }), fc.constant(''), fc.boolean()),
        phone: fc.oneof(fc.string(), fc.stringMatching(/^\+[1-9][0-9]{6,14}$/), fc.constant(undefined)),
        extra: fc.anything(),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  fc
    .record({
      name: fc.string({ minLength: 1, maxLength: 100 }).filter((name) => name.trim() !== ''),
      email: fc.stringMatching(/^[a-z0-9_-]{1,30}@[a-z0-9]{1,20}\.[a-z]{2,6}$/),
    })
    .map((value) => JSON.stringify(value)),
  fc.constant('x'.repeat(200_000)),
  fc.constant(JSON.stringify({ name: 'n'.repeat(100_000), email: 'big@example.com' })),
);

describe('users API under arbitrary input', () => {
  it('answers POST /users with a 2xx or a JSON 4xx, and stores only valid users', async () => {
    await fc.assert(
      fc.asyncProperty(bodies, fc.boolean(), async (body, base64) => {
        const event = apiEvent({ method: 'POST', resource: '/users', body: base64 ? Buffer.from(body).toString('base64') : body });
        const response = await createUser({ ...event, isBase64Encoded: base64 }, context);
        expectClientSafe(response);
      }),
      RUNS,
    );

    const stored = (await dynamo.client.send(new ScanCommand({ TableName: tableName }))).Items ?? [];
    expect(stored.length).toBeGreaterThan(0);
    for (const item of stored.map((raw) => unmarshall(raw))) {
      const { id, createdAt, ...input } = item;
      expect(z.safeParse(newUserSchema, input).success).toBe(true);
      expect(id).toBe(userIdForEmail(input.email as string));
      expect(Number.isNaN(Date.parse(createdAt as string))).toBe(false);
    }
  });

  it('answers GET and DELETE /users/{id} with a 404 or a 2xx for any ID', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary' }), fc.uuid(), fc.string({ minLength: 1000, maxLength: 3000 })), async (id) => {
        const request = { resource: '/users/{id}', path: `/users/${encodeURIComponent(id)}`, pathParameters: { id } };
        expectClientSafe(await getUser(apiEvent({ method: 'GET', ...request }), context));
        expectClientSafe(await deleteUser(apiEvent({ method: 'DELETE', ...request }), context));
      }),
      RUNS,
    );
  });

  it('answers PATCH /users/{id} with a 2xx or a JSON 4xx, and leaves every user valid and with its email', async () => {
    const emails = ['patch-one@example.com', 'patch-two@example.com'];
    for (const email of emails) {
      expect(
        (await createUser(apiEvent({ method: 'POST', resource: '/users', body: JSON.stringify({ name: 'Patch Me', email }) }), context))
          .statusCode,
      ).toBe(201);
    }
    const changes = fc
      .record(
        {
          name: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 150 }), fc.constant(null), fc.integer()),
          phone: fc.oneof(fc.string(), fc.stringMatching(/^\+[1-9][0-9]{6,14}$/), fc.constant(null)),
          email: fc.emailAddress(),
        },
        { requiredKeys: [] },
      )
      .map((value) => JSON.stringify(value));
    const ids = fc.oneof(fc.constantFrom(...emails.map(userIdForEmail)), fc.uuid(), fc.string({ unit: 'binary' }));

    await fc.assert(
      fc.asyncProperty(fc.oneof(bodies, changes), ids, fc.boolean(), async (body, id, base64) => {
        const event = apiEvent({
          method: 'PATCH',
          resource: '/users/{id}',
          path: `/users/${encodeURIComponent(id)}`,
          pathParameters: { id },
          body: base64 ? Buffer.from(body).toString('base64') : body,
        });
        expectClientSafe(await updateUser({ ...event, isBase64Encoded: base64 }, context));
      }),
      RUNS,
    );

    const stored = ((await dynamo.client.send(new ScanCommand({ TableName: tableName }))).Items ?? []).map((raw) => unmarshall(raw));
    for (const email of emails) expect(stored.find((item) => item.id === userIdForEmail(email))?.email).toBe(email);
    for (const item of stored) {
      const { id, createdAt, updatedAt, ...input } = item;
      expect(z.safeParse(newUserSchema, input).success).toBe(true);
      expect(id).toBe(userIdForEmail(input.email as string));
      if (updatedAt !== undefined) expect(Date.parse(updatedAt as string)).toBeGreaterThanOrEqual(Date.parse(createdAt as string));
    }
  });

  it('answers GET /users with a 2xx or a JSON 4xx for any query string', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.oneof(fc.constantFrom('limit', 'cursor'), fc.string()), fc.string({ unit: 'binary', maxLength: 2000 })),
        async (query) => {
          expectClientSafe(await listUsers(apiEvent({ method: 'GET', resource: '/users', query }), context));
        },
      ),
      RUNS,
    );
  });
});
