/**
 * Node 20 lacks Promise.withResolvers (Node 22 has it), which aws-local-stepfunctions calls in
 * every Task; without it every Task fails and a States.ALL Catch hides why. Import this first.
 */
interface PromiseWithResolversPolyfill {
  withResolvers?: <T>() => { promise: Promise<T>; resolve: (value: T) => void; reject: (reason?: unknown) => void };
}

const PromiseConstructor = Promise as unknown as PromiseWithResolversPolyfill;
PromiseConstructor.withResolvers ??= <T>() => {
  let resolve!: (value: T) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

export {};
