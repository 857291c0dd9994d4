import * as http from 'node:http';
import { closeServer, listen } from './runtime';

export async function freePort(host: string): Promise<number> {
  const server = http.createServer();
  await listen(server, host, 0, 'port probe');
  const port = (server.address() as { port: number }).port;
  await closeServer(server);
  return port;
}

/** An ALB listener: rules by priority (path-pattern, host-header), fixed responses, forwards. */
export async function startListener(options: {
  host: string;
  port: number;
  name: string;
  defaultActions: Array<Record<string, unknown>>;
  rules: Array<Record<string, unknown>>;
  targets: Map<string, string>;
  log: (line: string) => void;
}): Promise<{ url: string; server: http.Server }> {
  const matches = (rule: Record<string, unknown>, request: http.IncomingMessage) =>
    ((rule.Conditions as Array<Record<string, unknown>>) ?? []).every((condition) => {
      const url = new URL(request.url ?? '/', 'http://local');
      const field = String(condition.Field);
      const values = ((condition.PathPatternConfig as { Values?: string[] })?.Values ??
        (condition.HostHeaderConfig as { Values?: string[] })?.Values ??
        (condition.Values as string[]) ??
        []) as string[];
      const glob = (pattern: string, value: string) =>
        new RegExp(
          `^${pattern
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '.*')
            .replace(/\?/g, '.')}$`,
          'i',
        ).test(value);
      if (field === 'path-pattern') return values.some((pattern) => glob(pattern, url.pathname));
      if (field === 'host-header') return values.some((pattern) => glob(pattern, String(request.headers.host ?? '').replace(/:\d+$/, '')));
      if (field === 'http-request-method')
        return ((condition.HttpRequestMethodConfig as { Values?: string[] })?.Values ?? []).includes(request.method ?? '');
      return false;
    });
  const server = http.createServer((request, response) => {
    const started = Date.now();
    const rule = options.rules.find((candidate) => matches(candidate, request));
    const actions = (rule?.Actions as Array<Record<string, unknown>> | undefined) ?? options.defaultActions;
    const action = [...actions].sort((left, right) => Number(left.Order ?? 0) - Number(right.Order ?? 0))[0];
    const done = (status: number, outcome: string) =>
      options.log(`alb      ${request.method} ${request.url} → ${status} ${outcome} (${Date.now() - started} ms)`);
    if (action?.Type === 'fixed-response') {
      const config = (action.FixedResponseConfig as { StatusCode?: string; ContentType?: string; MessageBody?: string }) ?? {};
      response.writeHead(Number(config.StatusCode ?? 200), { 'content-type': config.ContentType ?? 'text/plain' });
      response.end(config.MessageBody ?? '');
      done(Number(config.StatusCode ?? 200), 'fixed response');
      return;
    }
    if (action?.Type === 'redirect') {
      response.writeHead(301, { location: String((action.RedirectConfig as { Path?: string })?.Path ?? '/') });
      response.end();
      done(301, 'redirect');
      return;
    }
    const targetGroup = String(
      action?.TargetGroupArn ??
        (action?.ForwardConfig as { TargetGroups?: Array<{ TargetGroupArn: string }> })?.TargetGroups?.[0]?.TargetGroupArn ??
        '',
    );
    const target = options.targets.get(targetGroup);
    if (target === undefined) {
      response.writeHead(503, { 'content-type': 'text/html' });
      response.end('<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>');
      done(503, 'no healthy target');
      return;
    }
    const forwarded = http.request(
      new URL(request.url ?? '/', target),
      {
        method: request.method,
        headers: { ...request.headers, 'x-forwarded-for': request.socket.remoteAddress ?? '', 'x-forwarded-proto': 'http' },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
        answer.on('end', () => done(answer.statusCode ?? 502, 'forwarded'));
      },
    );
    forwarded.on('error', () => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/html' });
      response.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      done(502, 'target unreachable');
    });
    request.pipe(forwarded);
  });
  await listen(server, options.host, options.port, `load balancer listener ${options.name}`);
  return { url: `http://${options.host}:${(server.address() as { port: number }).port}`, server };
}
