import { Type } from 'typebox';

// RFC 9457 problem details, with `errors` naming every bad field (JSON Pointer paths).
export const FieldProblemSchema = Type.Object(
  {
    path: Type.String({ description: 'JSON Pointer into the request, e.g. /parallelism/tensor' }),
    message: Type.String(),
  },
  { $id: 'FieldProblem' },
);

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'URI naming the problem type' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(FieldProblemSchema)),
  },
  { $id: 'Problem', description: 'RFC 9457 application/problem+json' },
);

/** Declared on every route so the OpenAPI document lists the error shapes. */
export const problemResponses = {
  400: ProblemSchema,
  401: ProblemSchema,
  404: ProblemSchema,
  413: ProblemSchema,
  415: ProblemSchema,
  500: ProblemSchema,
  503: ProblemSchema,
} as const;
