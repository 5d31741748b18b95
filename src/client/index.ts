// The typed TrainPlan client: openapi-fetch over the types openapi-typescript generates from
// openapi/openapi.json (`npm run openapi` writes both; test/openapi.test.ts fails when they are stale).
// The command line uses it in-process (src/cli/in-process-fetch.ts); another service uses it over HTTP:
//   const client = createTrainPlanClient({ baseUrl: 'http://trainplan:3000' });
//   const { data, error } = await client.POST('/v1/estimate', { body: { model: { preset: 'llama-3.1-70b' }, ... } });
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './openapi-types.js';

export type { components, operations, paths };
export type TrainPlanClient = Client<paths>;

/** The JSON body an operation takes, by operationId (e.g. RequestBody<'estimate'>). */
export type RequestBody<Op extends keyof operations> = operations[Op] extends { requestBody: { content: { 'application/json': infer B } } } ? B : never;
/** The 200 answer of an operation, by operationId (e.g. Answer<'estimate'>). */
export type Answer<Op extends keyof operations> = operations[Op] extends { responses: { 200: { content: { 'application/json': infer R } } } } ? R : never;
/** An RFC 9457 problem, as every 4xx/5xx answer carries it. */
export type Problem = components['schemas']['Problem'];

export function createTrainPlanClient(options: ClientOptions & { baseUrl: string }): TrainPlanClient {
  return createClient<paths>(options);
}

/** True when a value is a problem+json body (the error side of every operation). */
export function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && typeof (value as { title?: unknown }).title === 'string' && typeof (value as { status?: unknown }).status === 'number';
}
