import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsHttpRequest } from '../../../tools/local-cloud/iam/requests';

/** A request as it reached a loopback server, in the shape the IAM request mapper reads. */
export interface CapturedRequest extends Omit<AwsHttpRequest, 'service'> {
  url: string;
}

/**
 * A loopback HTTP server that records what real SDK clients send, so the mapper is tested on the
 * wire format the SDK actually produces rather than on hand-written guesses. It answers every request
 * with an empty 200 (the SDK may then fail to parse the reply; the tests only need the request).
 */
export async function startCaptureServer(): Promise<{ endpoint: string; requests: CapturedRequest[]; close(): Promise<void> }> {
  const requests: CapturedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      requests.push({
        url: req.url ?? '/',
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Sends one command and returns the request the server saw (the reply is ignored). */
export async function captureOne(server: { requests: CapturedRequest[] }, send: () => Promise<unknown>): Promise<CapturedRequest> {
  const before = server.requests.length;
  await send().catch(() => undefined);
  if (server.requests.length !== before + 1) throw new Error(`expected one request, saw ${server.requests.length - before}`);
  return server.requests[before];
}
