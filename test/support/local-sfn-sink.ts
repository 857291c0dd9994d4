import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the Step Functions API's StartExecution (aws-local-stepfunctions runs
 * definitions but serves no API): it records each start and, like Step Functions, refuses a
 * second execution with a name already used (ExecutionAlreadyExists).
 */
export interface LocalSfnSink {
  readonly endpoint: string;
  readonly started: { stateMachineArn: string; name: string; input: unknown }[];
  /** Makes the next `count` StartExecution calls fail as a throttled API would. */
  throttleNext(count: number): void;
  stop(): Promise<void>;
}

export async function startLocalSfnSink(): Promise<LocalSfnSink> {
  const started: LocalSfnSink['started'] = [];
  let throttled = 0;
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const reply = (status: number, payload: unknown) =>
        response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0' }).end(JSON.stringify(payload));
      if (request.headers['x-amz-target'] !== 'AWSStepFunctions.StartExecution') {
        reply(400, { __type: 'UnknownOperationException', message: 'Only StartExecution' });
        return;
      }
      if (throttled > 0) {
        throttled -= 1;
        reply(400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
        return;
      }
      const { stateMachineArn, name, input } = JSON.parse(body) as { stateMachineArn: string; name: string; input: string };
      if (started.some((execution) => execution.name === name)) {
        reply(400, { __type: 'ExecutionAlreadyExists', message: `Execution Already Exists: '${name}'` });
        return;
      }
      started.push({ stateMachineArn, name, input: JSON.parse(input) as unknown });
      reply(200, { executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`, startDate: Date.now() / 1000 });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    started,
    throttleNext: (count) => {
      throttled = count;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
