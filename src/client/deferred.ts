/** A promise with its settle functions beside it, for answers that arrive through events. */
export interface Deferred<T, E = Error> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: E): void;
}

export function deferred<T, E = Error>(): Deferred<T, E> {
  let resolve!: (value: T) => void;
  let reject!: (error: E) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
