// The runtime inside one local Lambda execution environment (a child process): loads the
// function's own bundle once, then runs one invocation at a time as the parent asks over IPC,
// answering with the result or the error in the shape the Node.js runtime reports
// ({ errorType, errorMessage, trace }). Plain JavaScript: it runs on plain `node`, like the bundle.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const taskRoot = process.env.LAMBDA_TASK_ROOT;
const handlerSetting = process.env._HANDLER;
const lastDot = handlerSetting.lastIndexOf('.');
const moduleName = handlerSetting.slice(0, lastDot);
const exportName = handlerSetting.slice(lastDot + 1);

async function loadHandler() {
  for (const extension of ['.mjs', '.js', '.cjs']) {
    const file = path.join(taskRoot, moduleName + extension);
    if (!existsSync(file)) continue;
    const loaded = await import(pathToFileURL(file).href);
    const handler = loaded[exportName] ?? loaded.default?.[exportName];
    if (typeof handler !== 'function') {
      throw Object.assign(new Error(`${moduleName}.${exportName} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
    }
    return handler;
  }
  throw Object.assign(new Error(`Cannot find module '${moduleName}'`), { name: 'Runtime.ImportModuleError' });
}

function errorPayload(error) {
  if (error instanceof Error) {
    return {
      errorType: error.name,
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n'),
    };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

const handlerPromise = loadHandler();
handlerPromise.catch(() => undefined);

process.on('message', async (message) => {
  if (message?.type !== 'invoke') return;
  const { requestId, event, deadline, functionName, functionVersion, invokedFunctionArn, memoryLimitInMB, logGroupName } = message;
  const context = {
    awsRequestId: requestId,
    functionName,
    functionVersion,
    invokedFunctionArn,
    memoryLimitInMB: String(memoryLimitInMB),
    logGroupName,
    logStreamName: `local/${process.pid}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  process.env._X_AMZN_TRACE_ID = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${requestId.replace(/-/g, '').slice(0, 24)};Sampled=0`;
  try {
    const handler = await handlerPromise;
    const result = await new Promise((resolve, reject) => {
      // Callback-style handlers (three parameters) answer through the callback.
      const callback = (error, value) => (error ? reject(error) : resolve(value));
      const returned = handler.length >= 3 ? handler(event, context, callback) : handler(event, context);
      if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
      else if (handler.length < 3) resolve(returned);
    });
    process.send({ type: 'result', requestId, ok: true, result: result === undefined ? null : result });
  } catch (error) {
    const payload = errorPayload(error);
    console.error(JSON.stringify({ level: 'ERROR', message: 'Invoke Error', ...payload }));
    process.send({ type: 'result', requestId, ok: false, error: payload });
  }
});

process.on('uncaughtException', (error) => {
  process.send?.({ type: 'crash', error: errorPayload(error) });
  process.exit(1);
});
process.on('unhandledRejection', (error) => {
  process.send?.({ type: 'crash', error: errorPayload(error) });
  process.exit(1);
});
process.send({ type: 'ready' });
