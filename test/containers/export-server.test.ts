import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { batchWrite, chunksOf } from '../../containers/worker/src/batch';
import { createTableFromTemplate, startLocalDynamo, type LocalDynamo } from '../support/local-dynamodb';
import { localAwsEnv } from '../support/local-aws-env';
import { startLocalTokenIssuer, type LocalTokenIssuer } from '../support/local-token-issuer';
import { statefulStackTemplate } from '../support/stateful-tables';
import { buildWorkerBundle, exportServerUrl, spawnWorker, type WorkerProcess } from '../support/worker-process';

let dynamo: LocalDynamo;
let worker: WorkerProcess;
let url: string;
let table: string;
let issuer: LocalTokenIssuer;
/** Every request but the health check needs a token (test/containers/export-auth.test.ts tests the refusals). */
let authorization: { authorization: string };

/** Users whose names need every kind of CSV quoting, and plenty of plain ones to span many pages. */
const TRICKY = [
  { name: 'Lovelace, Ada', email: 'ada@example.com', phone: '+447700900123' },
  { name: 'Grace "Amazing" Hopper', email: 'grace@example.com' },
  { name: 'Line\nBreak', email: 'line@example.com' },
  { name: 'Carriage\r\nReturn, "all" of it', email: 'crlf@example.com' },
  { name: '=HYPERLINK("http://attacker.example","click")', email: 'formula@example.com' },
];
const PLAIN = Array.from({ length: 250 }, (_, i) => ({ name: `User ${i}`, email: `user.${i}@example.com` }));
const USERS = [...TRICKY, ...PLAIN].map((user, i) => ({
  id: `id-${String(i).padStart(4, '0')}`,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...user,
}));

beforeAll(async () => {
  const [bundle, engine, tokens] = await Promise.all([buildWorkerBundle(), startLocalDynamo(), startLocalTokenIssuer()]);
  dynamo = engine;
  issuer = tokens;
  authorization = { authorization: `Bearer ${await issuer.sign()}` };
  table = await createTableFromTemplate(dynamo.client, statefulStackTemplate(), 'UsersTable');
  const items: Record<string, AttributeValue>[] = USERS.map((user) => ({
    ...Object.fromEntries(Object.entries(user).map(([name, value]) => [name, { S: value }])),
    importId: { S: 'internal-marker' },
  }));
  for (const batch of chunksOf(items, 25)) await batchWrite(dynamo.client, table, batch);
  // A small page size so the export crosses many Scan pages.
  worker = spawnWorker(bundle, ['serve'], {
    ...localAwsEnv({ dynamodb: dynamo.endpoint }),
    USERS_TABLE_NAME: table,
    PORT: '0',
    EXPORT_PAGE_SIZE: '17',
    AUTH_ISSUER: issuer.issuer,
    AUTH_JWKS_URL: issuer.jwksUrl,
    AUTH_CLIENT_IDS: 'local-client',
    AUTH_REQUIRED_SCOPE: 'user-data-api/exports.read',
  });
  url = await exportServerUrl(worker);
});

afterAll(async () => {
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await dynamo?.stop();
  await issuer?.stop();
});

/** What a cell holds once written: OWASP's CSV-injection defence puts a quote before a formula trigger. */
function exportedCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** An RFC 4180 reader written independently of the server, to check its output. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else field += char;
  }
  if (field !== '' || row.length > 0) throw new Error('The CSV does not end with a line break');
  return rows;
}

describe('GET /exports/users.csv', () => {
  it('streams a header and every user exactly once, quoting commas, quotes and line breaks', async () => {
    const response = await fetch(`${url}/exports/users.csv`, { headers: authorization });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="users.csv"');
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    const [header, ...rows] = parseCsv(await response.text());
    expect(header).toEqual(['id', 'name', 'email', 'phone', 'createdAt']);
    expect(rows).toHaveLength(USERS.length);
    const byId = new Map(rows.map((row) => [row[0], row]));
    expect(byId.size).toBe(USERS.length);
    for (const user of USERS) {
      expect(byId.get(user.id)).toEqual(
        [user.id, user.name, user.email, 'phone' in user ? (user.phone as string) : '', user.createdAt].map(exportedCell),
      );
    }
  });

  it('writes the fields RFC 4180 style, byte for byte', async () => {
    const text = await (await fetch(`${url}/exports/users.csv`, { headers: authorization })).text();

    expect(text.startsWith('id,name,email,phone,createdAt\r\n')).toBe(true);
    expect(text).toContain(`id-0000,"Lovelace, Ada",ada@example.com,"'+447700900123",2026-01-01T00:00:00.000Z\r\n`);
    expect(text).toContain('id-0001,"Grace ""Amazing"" Hopper",grace@example.com,,2026-01-01T00:00:00.000Z\r\n');
    expect(text).toContain('id-0002,"Line\nBreak",line@example.com,,');
    expect(text).toContain('id-0003,"Carriage\r\nReturn, ""all"" of it",crlf@example.com,,');
    expect(text).toContain(`id-0004,"'=HYPERLINK(""http://attacker.example"",""click"")",formula@example.com,,`);
    expect(text).not.toContain('internal-marker');
  });
});

describe('other routes', () => {
  it('answers the health check with 200', async () => {
    const response = await fetch(`${url}/healthz`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers 404 for an unknown path and 405 for a write to the export', async () => {
    expect((await fetch(`${url}/nothing-here`, { headers: authorization })).status).toBe(404);
    const post = await fetch(`${url}/exports/users.csv`, { method: 'POST', headers: authorization });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});
