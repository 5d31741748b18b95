// Coded errors rendered as RFC 9457 problem+json by the global error handler (src/plugins/problem.ts).

export interface FieldProblem {
  /** JSON Pointer into the request body, e.g. '/parallelism/tensor' */
  path: string;
  message: string;
}

/** Bad input that passed the JSON schema but cannot work (unknown id, layout that does not divide…). Always 400. */
export class InputProblemError extends Error {
  readonly statusCode = 400;
  readonly code = 'TRAINPLAN_INVALID_INPUT';
  constructor(
    readonly errors: FieldProblem[],
    readonly title = 'Invalid request',
  ) {
    super(errors.map((e) => `${e.path}: ${e.message}`).join('; '));
    this.name = 'InputProblemError';
  }
}

/** A resource (hardware id, model id) that does not exist. 404. */
export class NotFoundProblemError extends Error {
  readonly statusCode = 404;
  readonly code = 'TRAINPLAN_NOT_FOUND';
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundProblemError';
  }
}

export function throwIfProblems(errors: FieldProblem[]): void {
  if (errors.length > 0) throw new InputProblemError(errors);
}
