import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  accessToken,
  devAssembly,
  editedAssembly,
  eventually,
  scopeNamed,
  startLocalCloud,
  type RunningCloud,
} from './support/local-cloud';

/**
 * A missing grant fails locally, not in the first deploy: in a copy of the dev assembly whose
 * create-user function lost its dynamodb:PutItem statement, POST /users fails, the runner logs the
 * refusal loudly with the action and the table, and nothing was written.
 */
let cloud: RunningCloud;
let writeToken: string;
let readToken: string;

beforeAll(async () => {
  let removed = 0;
  const assembly = editedAssembly(devAssembly(), (template) => {
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::IAM::Policy' || !id.startsWith('UsersApiCreateUserRole')) continue;
      const document = resource.Properties?.PolicyDocument as { Statement: Array<{ Action: string | string[] }> };
      const before = document.Statement.length;
      document.Statement = document.Statement.filter((statement) => statement.Action !== 'dynamodb:PutItem');
      removed += before - document.Statement.length;
    }
  });
  expect(removed).toBe(1);
  // Through tsx, as `npm start` runs the runner (the other e2e files start it compiled, for speed).
  cloud = await startLocalCloud(assembly, [], { throughTsx: true });
  writeToken = await accessToken(cloud.endpoints, scopeNamed(cloud.endpoints, 'users.write'));
  readToken = await accessToken(cloud.endpoints, scopeNamed(cloud.endpoints, 'users.read'));
}, 240_000);

afterAll(async () => cloud?.stop());

test('a function whose grant was removed fails locally with AccessDeniedException, logged loudly', async () => {
  const response = await fetch(`${cloud.endpoints.apiUrl}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${writeToken}` },
    body: JSON.stringify({ name: 'Denied', email: 'denied@example.com' }),
  });
  // The handler's own 500 for an unexpected error, or the gateway's 502 if the function threw.
  expect([500, 502]).toContain(response.status);
  expect(cloud.output()).toMatch(/!!! \[local-iam\] ACCESS DENIED \S+ dynamodb:PutItem on arn:aws:dynamodb:[^ ]+:table\/\S*Users/);
  // The function saw the error AWS would give it (its own log, as a developer reads it).
  const logs = path.join(cloud.workDirectory, 'logs');
  // (the function's output reaches its log file through a pipe: it may land a moment after the answer)
  const logged = await eventually(
    async () => {
      const functionLog = fs.readdirSync(logs).find((file) => file.startsWith('UsersApiCreateUser'));
      return functionLog !== undefined && /AccessDeniedException/.test(fs.readFileSync(path.join(logs, functionLog), 'utf8'))
        ? true
        : undefined;
    },
    10_000,
    'the error in the create-user function log',
  );
  expect(logged).toBe(true);
  const listed = await fetch(`${cloud.endpoints.apiUrl}/users`, { headers: { authorization: `Bearer ${readToken}` } });
  expect(await listed.json()).toEqual({ users: [] });
});
