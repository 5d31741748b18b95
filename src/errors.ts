// HTTP-level coded errors rendered as RFC 9457 problem+json by the global error handler
// (src/plugins/problem.ts). Input problems found by the domain live in src/domain/core/problems.ts.

/** A resource (hardware id, model id) that does not exist. 404. */
export class NotFoundProblemError extends Error {
  readonly statusCode = 404;
  readonly code = 'TRAINPLAN_NOT_FOUND';
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundProblemError';
  }
}
