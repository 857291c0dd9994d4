import { documentClient } from '../../lambda/shared/clients/dynamodb';
import { SDK_HTTP_TIMEOUTS } from '../../lambda/shared/clients/http-timeouts';
import { s3Client } from '../../lambda/shared/clients/s3';
import { sfnClient } from '../../lambda/shared/clients/sfn';
import { snsClient } from '../../lambda/shared/clients/sns';
import { useLocalAws } from '../support/local-aws-env';
import { startStallingProxy, type StallingProxy } from '../support/stalling-proxy';

/** The request handler every SDK client sends through (the SDK's NodeHttpHandler). */
interface RequestHandler {
  handle(request: unknown): Promise<unknown>;
  httpHandlerConfigs(): Record<string, unknown>;
}

let server: StallingProxy;

beforeAll(async () => {
  // Every request to this server is accepted and never answered.
  server = await startStallingProxy();
  useLocalAws({ dynamodb: server.endpoint, s3: server.endpoint, sfn: server.endpoint, sns: server.endpoint });
});

afterAll(async () => {
  await server.stop();
});

const clients = {
  dynamodb: () => documentClient(),
  s3: () => s3Client(),
  sfn: () => sfnClient(),
  sns: () => snsClient(),
};

async function oneAttempt(
  client: () => { config: { requestHandler: unknown } },
): Promise<{ error: unknown; elapsedMs: number; configs: Record<string, unknown> }> {
  const handler = client().config.requestHandler as RequestHandler;
  const { port } = new URL(server.endpoint);
  const started = Date.now();
  // One attempt through the client's own request handler (the SDK would retry a timeout).
  const error = await handler
    .handle({ protocol: 'http:', hostname: '127.0.0.1', port: Number(port), method: 'POST', path: '/', headers: {}, query: {} })
    .then(
      () => undefined,
      (reason: unknown) => reason,
    );
  return { error, elapsedMs: Date.now() - started, configs: handler.httpHandlerConfigs() };
}

describe('SDK clients', () => {
  it('every client gives up on a server that never answers, with connection and request timeouts set', async () => {
    const names = Object.keys(clients) as (keyof typeof clients)[];
    // The SDK's timers run on a simulated clock (the sockets and the server are real): once every
    // request has reached the server, the clock moves on by the request timeout at once.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const pending = Promise.all(names.map((name) => oneAttempt(clients[name])));
      while (server.stalled.length < names.length) await new Promise((resolve) => setImmediate(resolve));
      await jest.advanceTimersByTimeAsync(SDK_HTTP_TIMEOUTS.requestTimeout);
      const attempts = await pending;

      for (const [index, attempt] of attempts.entries()) {
        expect({ client: names[index], error: attempt.error }).toMatchObject({
          client: names[index],
          error: { name: 'TimeoutError', message: expect.stringContaining('requestTimeout') },
        });
        expect(attempt.elapsedMs).toBeLessThan(7_000);
        expect(attempt.configs).toMatchObject({ connectionTimeout: expect.any(Number), requestTimeout: expect.any(Number) });
      }
    } finally {
      jest.useRealTimers();
    }
  }, 15_000);
});
