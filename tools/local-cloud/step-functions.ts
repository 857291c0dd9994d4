import './promise-with-resolvers';
import * as http from 'node:http';
import type { StateMachine } from 'aws-local-stepfunctions';
import { closeServer, listen } from './runtime';

type StepFunctionsLibrary = typeof import('aws-local-stepfunctions');
let loadedLibrary: Promise<StepFunctionsLibrary> | undefined;
/** The engine library, loaded on the first execution: a start-up without one saves its ~0.14 s of CPU. */
const stepFunctionsLibrary = () => (loadedLibrary ??= import('aws-local-stepfunctions'));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface LocalStateMachineSpec {
  readonly arn: string;
  readonly name: string;
  readonly definition: { StartAt: string; States: Record<string, { Type: string; Resource?: string; Parameters?: unknown }> };
  /** Runs a Task state's resource (a Lambda ARN or a service integration) with its effective input. */
  readonly runTask: (stateName: string, resource: string, input: Json) => Promise<Json>;
}

interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
}

/**
 * The Step Functions API (StartExecution, DescribeExecution, ListExecutions, StopExecution) for
 * the state machines of the assembly, each execution run by aws-local-stepfunctions on its
 * synthesized definition. Functions reach it through the AWS gateway's `states` backend.
 */
export async function startStepFunctions(options: {
  host: string;
  machines: LocalStateMachineSpec[];
  log: (line: string) => void;
}): Promise<{ url: string; executions(): Execution[]; close(): Promise<void> }> {
  const machines = new Map(options.machines.map((machine) => [machine.arn, machine]));
  const executions = new Map<string, Execution>();
  const running = new Set<Promise<unknown>>();
  const aborts = new Map<string, () => void>();
  // Validating a definition compiles the whole ASL JSON schema with a fresh Ajv (about 0.2 s of CPU
  // each time): each machine's definition is validated on its first execution, and later
  // executions run on the same validated engine (a run keeps its state to itself).
  const engines = new Map<string, StateMachine>();
  const engineFor = (library: StepFunctionsLibrary, machine: LocalStateMachineSpec): StateMachine => {
    let engine = engines.get(machine.arn);
    if (engine === undefined) {
      engine = new library.StateMachine(machine.definition as never, { validationOptions: { checkArn: false, checkPaths: false } });
      engines.set(machine.arn, engine);
    }
    return engine;
  };

  function start(library: StepFunctionsLibrary, machine: LocalStateMachineSpec, name: string, input: string): Execution {
    const executionArn = `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    // First: a definition the validator refuses starts no execution (StartExecution answers 400).
    const engine = engineFor(library, machine);
    const execution: Execution = { executionArn, stateMachineArn: machine.arn, name, status: 'RUNNING', startDate: Date.now(), input };
    executions.set(executionArn, execution);
    const handlers = Object.fromEntries(
      Object.entries(machine.definition.States)
        .filter(([, state]) => state.Type === 'Task')
        .map(([stateName, state]) => [stateName, (taskInput: Json) => machine.runTask(stateName, String(state.Resource), taskInput)]),
    );
    const run = engine.run(JSON.parse(input) as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: {
        Execution: {
          Id: executionArn,
          Name: name,
          Input: JSON.parse(input),
          StartTime: new Date(execution.startDate).toISOString(),
          RoleArn: '',
        },
        StateMachine: { Id: machine.arn, Name: machine.name },
      } as never,
    });
    aborts.set(executionArn, () => run.abort());
    const done = run.result.then(
      (output: unknown) => {
        Object.assign(execution, { status: 'SUCCEEDED', stopDate: Date.now(), output: JSON.stringify(output) });
        options.log(`states   ${machine.name} ${name} → SUCCEEDED (${execution.stopDate! - execution.startDate} ms)`);
      },
      (error: unknown) => {
        const failure = error instanceof library.ExecutionError ? (error.cause as Error) : (error as Error);
        Object.assign(execution, {
          status: execution.status === 'ABORTED' ? 'ABORTED' : 'FAILED',
          stopDate: Date.now(),
          error: failure?.name,
          cause: failure?.message,
        });
        options.log(
          `states   ${machine.name} ${name} → ${execution.status} ${failure?.name ?? ''}: ${failure?.message ?? ''} (${execution.stopDate! - execution.startDate} ms)`,
        );
      },
    );
    running.add(done);
    void done.finally(() => running.delete(done));
    options.log(`states   ${machine.name} ${name} started`);
    return execution;
  }

  const describe = (execution: Execution) => ({
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: execution.startDate / 1000,
    ...(execution.stopDate === undefined ? {} : { stopDate: execution.stopDate / 1000 }),
    input: execution.input,
    ...(execution.output === undefined ? {} : { output: execution.output }),
    ...(execution.error === undefined ? {} : { error: execution.error }),
    ...(execution.cause === undefined ? {} : { cause: execution.cause }),
  });

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const action = String(request.headers['x-amz-target'] ?? '')
        .split('.')
        .pop();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, string>;
      const reply = (status: number, payload: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify(payload));
      };
      const fail = (type: string, message: string) => reply(400, { __type: `com.amazonaws.swf.service.v2.model#${type}`, message });
      switch (action) {
        case 'StartExecution': {
          const machine = machines.get(body.stateMachineArn);
          if (machine === undefined) return fail('StateMachineDoesNotExist', `State Machine Does Not Exist: '${body.stateMachineArn}'`);
          // The library is loaded before the name is looked at: from there on nothing waits, so two
          // starts of one name cannot race.
          void stepFunctionsLibrary().then((library) => {
            const name = body.name ?? crypto.randomUUID();
            const existing = executions.get(`${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`);
            if (existing !== undefined) {
              // Same name and input while it runs: idempotent, as Step Functions is; otherwise refused.
              if (existing.status === 'RUNNING' && existing.input === (body.input ?? '{}'))
                return reply(200, { executionArn: existing.executionArn, startDate: existing.startDate / 1000 });
              return fail('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
            }
            let execution: Execution;
            try {
              execution = start(library, machine, name, body.input ?? '{}');
            } catch (error) {
              return fail('InvalidDefinition', (error as Error).message);
            }
            return reply(200, { executionArn: execution.executionArn, startDate: execution.startDate / 1000 });
          });
          return;
        }
        case 'DescribeExecution': {
          const execution = executions.get(body.executionArn);
          if (execution === undefined) return fail('ExecutionDoesNotExist', `Execution Does Not Exist: '${body.executionArn}'`);
          return reply(200, describe(execution));
        }
        case 'ListExecutions': {
          const list = [...executions.values()].filter(
            (execution) =>
              execution.stateMachineArn === body.stateMachineArn &&
              (body.statusFilter === undefined || execution.status === body.statusFilter),
          );
          return reply(200, { executions: list.map(describe) });
        }
        case 'StopExecution': {
          const execution = executions.get(body.executionArn);
          if (execution === undefined) return fail('ExecutionDoesNotExist', `Execution Does Not Exist: '${body.executionArn}'`);
          execution.status = 'ABORTED';
          aborts.get(execution.executionArn)?.();
          return reply(200, { stopDate: Date.now() / 1000 });
        }
        default:
          return fail('UnknownOperationException', `${action ?? '(none)'} is not emulated locally`);
      }
    });
  });
  await listen(server, options.host, 0, 'Step Functions API');
  const address = server.address() as { port: number };
  return {
    url: `http://${options.host}:${address.port}`,
    executions: () => [...executions.values()],
    close: async () => {
      for (const abort of aborts.values()) abort();
      await closeServer(server);
    },
  };
}

/** An Error whose name is the error name a Task failed with, so Retry and Catch match on it. */
export function taskError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
