/**
 * Typed domain errors. Handlers map them to responses (HTTP status codes, batch item failures,
 * Step Functions error names); domain code only throws them.
 *
 * Each class sets `name` explicitly: bundles are minified, and Step Functions matches errors by
 * name, so a name must not depend on the class name surviving minification.
 */

/** One problem with one field of an input. `path` is a dotted path, empty for the whole input. */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    message: string,
    readonly problems: readonly FieldProblem[] = [],
  ) {
    super(message);
  }
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}
