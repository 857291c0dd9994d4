import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ScanCommand, type AttributeValue, type DynamoDBClient, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import type { TokenCheckResult } from './auth';

/** The export's columns, in order. Internal attributes (import markers) are never exported. */
export const EXPORT_COLUMNS = ['id', 'name', 'email', 'phone', 'createdAt'] as const;

/**
 * First characters that make a spreadsheet read a cell as a formula (=, +, -, @) or that some
 * strip before doing so (tab, carriage return): OWASP's list for CSV injection. A spreadsheet that
 * strips a leading tab strips a space as well (LibreOffice's "Trim spaces" import option), so
 * whitespace in front of =, +, - or @ does not make the value safe either.
 */
const FORMULA_TRIGGER = /^(?:[\t\r]|\s*[=+\-@])/;

/**
 * One CSV field: quoted as RFC 4180 requires (when it holds a comma, a quote or a line break), and
 * neutralised against CSV injection as OWASP recommends: a value starting with a formula trigger
 * is prefixed with a single quote and always quoted, so a spreadsheet shows it as text and never
 * runs it. A phone number is therefore written `"'+447700900123"` and shows as '+447700900123;
 * programs reading the file as data strip the leading quote from such fields
 * (docs/export-csv.md).
 */
export function csvField(value: string): string {
  if (FORMULA_TRIGGER.test(value)) return `"'${value.replaceAll('"', '""')}"`;
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function csvRow(values: readonly string[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

export interface ExportServerOptions {
  readonly dynamo: DynamoDBClient;
  readonly usersTable: string;
  /** Items per Scan page; bounds memory to about two pages. @default 1000 */
  readonly pageSize?: number;
  /**
   * Checks the request's `Authorization` header (see ./auth.ts). Every request but `/healthz` must
   * pass it before anything else happens, unknown paths included.
   */
  readonly tokenCheck: { check(authorization: string | undefined): Promise<TokenCheckResult> };
  readonly log?: (message: string, details: Record<string, unknown>) => void;
}

export interface RunningServer {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The heavy-HTTP side of the worker image, behind the ALB:
 * - `GET /healthz`: 200 while the process serves (the ALB's health check, which sends no token);
 *   it says nothing but `{"status":"ok"}`;
 * - every other request needs a bearer access token with the export scope: 401 (JSON, with a
 *   `WWW-Authenticate` challenge) without a valid one, 403 when it lacks the scope;
 * - `GET /exports/users.csv`: every user as CSV, streamed page by page from a Scan. The next page
 *   is fetched while the current one is written, and writing waits for the socket to drain, so
 *   memory stays at about two pages whatever the table's size and however slow the client.
 */
export function createExportServer(options: ExportServerOptions): Server {
  const log = options.log ?? (() => undefined);
  const server = createServer((request, response) => {
    handle(request, response, options).catch((error: unknown) => {
      log('Request failed', { path: request.url, error: error instanceof Error ? error.message : String(error) });
      if (!response.headersSent) {
        sendText(response, 500, 'Internal error\n');
      } else {
        // Headers and part of the CSV are out: cutting the connection is the only way to tell the
        // client the file is incomplete (a truncated chunked body is an error to every HTTP client).
        response.destroy(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
  // Longer than the ALB's idle timeout (60 s), so the ALB, not the task, closes idle connections.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

export async function startExportServer(options: ExportServerOptions & { port: number; host?: string }): Promise<RunningServer> {
  const server = createExportServer(options);
  server.listen(options.port, options.host ?? '0.0.0.0');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

function sendText(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  response.end(JSON.stringify(body));
}

async function handle(request: IncomingMessage, response: ServerResponse, options: ExportServerOptions): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  const method = request.method ?? 'GET';
  if (path !== '/healthz') {
    const result = await options.tokenCheck.check(request.headers.authorization);
    if (!result.ok) {
      const { status, error, message, headers } = result.refusal;
      options.log?.('Request refused', { path, method, status });
      // HEAD gets the status and headers only, as HTTP requires.
      if (method === 'HEAD') {
        response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
        response.end();
      } else {
        sendJson(response, status, { error, message }, headers);
      }
      return;
    }
    // Who downloaded personal data, for the audit trail.
    options.log?.('Request authorized', { path, method, clientId: result.caller.clientId });
  }
  if (path === '/healthz' || path === '/exports/users.csv') {
    if (method !== 'GET' && method !== 'HEAD') {
      sendText(response, 405, 'Method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    if (path === '/healthz') {
      response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      response.end(method === 'HEAD' ? undefined : '{"status":"ok"}');
      return;
    }
    await streamUsersCsv(request, response, options);
    return;
  }
  sendText(response, 404, 'Not found\n');
}

async function streamUsersCsv(request: IncomingMessage, response: ServerResponse, options: ExportServerOptions): Promise<void> {
  const started = Date.now();
  response.writeHead(200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': 'attachment; filename="users.csv"',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  let closed = false;
  response.once('close', () => {
    closed = true;
  });

  const scan = (startKey?: Record<string, AttributeValue>) =>
    options.dynamo.send(
      new ScanCommand({
        TableName: options.usersTable,
        Limit: options.pageSize ?? 1000,
        ExclusiveStartKey: startKey,
        ProjectionExpression: EXPORT_COLUMNS.map((_, index) => `#c${index}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(EXPORT_COLUMNS.map((column, index) => [`#c${index}`, column])),
      }),
    );

  let rows = 0;
  await write(response, csvRow(EXPORT_COLUMNS));
  let next: Promise<ScanCommandOutput> | undefined = scan();
  while (next !== undefined && !closed) {
    const page: ScanCommandOutput = await next;
    // Fetch the next page while this one is written: the network waits overlap.
    next = page.LastEvaluatedKey ? scan(page.LastEvaluatedKey) : undefined;
    const items = page.Items ?? [];
    let text = '';
    for (const item of items) text += csvRow(EXPORT_COLUMNS.map((column) => item[column]?.S ?? ''));
    rows += items.length;
    await write(response, text);
  }
  if (next !== undefined) next.catch(() => undefined); // the client left; drop the prefetched page
  if (!closed) response.end();
  options.log?.('Export streamed', { rows, ms: Date.now() - started, complete: !closed });
}

/** Writes, and when the socket's buffer is full waits until it drains (or the client leaves). */
async function write(response: ServerResponse, text: string): Promise<void> {
  if (text === '' || response.destroyed) return;
  if (response.write(text)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}
