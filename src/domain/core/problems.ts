// Bad input found by the domain (after the JSON schema): each problem names its field by JSON Pointer.
// The HTTP layer renders InputProblemError as a 400 RFC 9457 problem+json (src/plugins/problem.ts).

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
