import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP server on a loopback port that accepts requests and, for those `stalls` picks, never
 * answers (the connection stays open, as with a hung server); it forwards the others unchanged to
 * `target` (the Host header included, so request signatures still verify), or stalls every
 * request when there is no target.
 */
export interface StallingProxy {
  readonly endpoint: string;
  /** Requests that were held without an answer. */
  readonly stalled: string[];
  stop(): Promise<void>;
}

export async function startStallingProxy(options: { target?: string; stalls?: (path: string) => boolean } = {}): Promise<StallingProxy> {
  const stalls = options.stalls ?? (() => true);
  const target = options.target === undefined ? undefined : new URL(options.target);
  const stalled: string[] = [];
  const server = http.createServer((request, response) => {
    const path = decodeURIComponent(request.url ?? '/');
    if (target === undefined || stalls(path)) {
      stalled.push(`${request.method} ${path}`);
      request.resume();
      return;
    }
    const upstream = http.request(
      { host: target.hostname, port: target.port, agent: false, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stalled,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
