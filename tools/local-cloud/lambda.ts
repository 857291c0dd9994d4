import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A function's error as the Node.js runtime reports it. */
export interface FunctionError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: string[];
}

export type InvokeOutcome = { ok: true; result: unknown; durationMs: number } | { ok: false; error: FunctionError; durationMs: number };

export interface LocalFunctionSpec {
  readonly name: string;
  readonly arn: string;
  /** The folder holding the function's bundle (its asset in cdk.out). */
  readonly codeDirectory: string;
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** Exactly the template's environment, plus the AWS endpoint and credential variables. */
  readonly environment: Record<string, string>;
  /** At most this many execution environments at once (more invocations wait). */
  readonly maxInstances: number;
  /** Where the function's own output (its logs) goes. */
  readonly logFile: string;
}

interface Instance {
  child: ChildProcess;
  ready: Promise<void>;
  busy: boolean;
}

const BOOTSTRAP = path.join(__dirname, 'lambda-bootstrap.mjs');

/**
 * A Lambda function on this machine: each execution environment is its own Node process running
 * the function's bundle with exactly its environment, kept warm between invocations, one
 * invocation at a time per environment, more environments on demand up to `maxInstances`. The
 * function's timeout is enforced by killing the environment, as Lambda does.
 */
export class LocalFunction {
  private readonly instances: Instance[] = [];
  private readonly waiting: Array<() => void> = [];
  private readonly log: fs.WriteStream;
  private closed = false;

  constructor(readonly spec: LocalFunctionSpec) {
    fs.mkdirSync(path.dirname(spec.logFile), { recursive: true });
    this.log = fs.createWriteStream(spec.logFile, { flags: 'a' });
  }

  async invoke(event: unknown): Promise<InvokeOutcome> {
    const started = Date.now();
    const instance = await this.acquire();
    const requestId = randomUUID();
    const deadline = Date.now() + this.spec.timeoutSeconds * 1000;
    try {
      await instance.ready;
      const outcome = await new Promise<{ ok: true; result: unknown } | { ok: false; error: FunctionError }>((resolve) => {
        const timer = setTimeout(
          () => {
            cleanup();
            this.discard(instance);
            resolve({
              ok: false,
              error: {
                errorType: 'Sandbox.Timedout',
                errorMessage: `${new Date().toISOString()} ${requestId} Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`,
                trace: [],
              },
            });
          },
          Math.max(0, deadline - Date.now()),
        );
        const onMessage = (message: { type: string; requestId?: string; ok?: boolean; result?: unknown; error?: FunctionError }) => {
          if (message.type === 'result' && message.requestId === requestId) {
            cleanup();
            resolve(message.ok === true ? { ok: true, result: message.result } : { ok: false, error: message.error as FunctionError });
          } else if (message.type === 'crash') {
            cleanup();
            this.discard(instance);
            resolve({ ok: false, error: { ...(message.error as FunctionError), errorType: 'Runtime.ExitError' } });
          }
        };
        const onExit = (code: number | null, signal: string | null) => {
          cleanup();
          this.discard(instance);
          resolve({
            ok: false,
            error: {
              errorType: 'Runtime.ExitError',
              errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${signal ?? `exit status ${code}`}`,
              trace: [],
            },
          });
        };
        const cleanup = () => {
          clearTimeout(timer);
          instance.child.off('message', onMessage);
          instance.child.off('exit', onExit);
        };
        instance.child.on('message', onMessage);
        instance.child.once('exit', onExit);
        instance.child.send({
          type: 'invoke',
          requestId,
          event,
          deadline,
          functionName: this.spec.name,
          functionVersion: '$LATEST',
          invokedFunctionArn: this.spec.arn,
          memoryLimitInMB: this.spec.memoryMb,
          logGroupName: `/aws/lambda/${this.spec.name}`,
        });
      });
      return { ...outcome, durationMs: Date.now() - started };
    } catch (error) {
      this.discard(instance);
      return {
        ok: false,
        error: { errorType: 'Runtime.StartError', errorMessage: (error as Error).message, trace: [] },
        durationMs: Date.now() - started,
      };
    } finally {
      this.release(instance);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const exits = this.instances.map(
      (instance) =>
        new Promise<void>((resolve) => {
          if (instance.child.exitCode !== null || instance.child.signalCode !== null) return resolve();
          instance.child.once('exit', () => resolve());
          instance.child.kill('SIGTERM');
        }),
    );
    this.instances.length = 0;
    await Promise.all(exits);
    this.log.end();
  }

  private async acquire(): Promise<Instance> {
    for (;;) {
      if (this.closed) throw new Error(`${this.spec.name} is shut down`);
      const idle = this.instances.find((instance) => !instance.busy);
      if (idle !== undefined) {
        idle.busy = true;
        return idle;
      }
      if (this.instances.length < this.spec.maxInstances) {
        const instance = this.start();
        instance.busy = true;
        this.instances.push(instance);
        return instance;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(instance: Instance): void {
    instance.busy = false;
    this.waiting.shift()?.();
  }

  private discard(instance: Instance): void {
    const index = this.instances.indexOf(instance);
    if (index >= 0) this.instances.splice(index, 1);
    if (instance.child.exitCode === null && instance.child.signalCode === null) instance.child.kill('SIGKILL');
  }

  private start(): Instance {
    const child = fork(BOOTSTRAP, [], {
      cwd: this.spec.codeDirectory,
      env: {
        ...this.spec.environment,
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        LAMBDA_TASK_ROOT: this.spec.codeDirectory,
        _HANDLER: this.spec.handler,
        AWS_LAMBDA_FUNCTION_NAME: this.spec.name,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(this.spec.memoryMb),
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${this.spec.name}`,
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs_local',
        TZ: 'UTC',
      },
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: { type: string }) => {
        if (message.type === 'ready') {
          child.off('message', onMessage);
          resolve();
        }
      };
      child.on('message', onMessage);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`${this.spec.name}: execution environment exited with ${code} before it was ready`)));
    });
    ready.catch(() => undefined);
    return { child, ready, busy: false };
  }
}
