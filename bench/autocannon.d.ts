// The part of autocannon 9 (which ships no types) that bench/load.ts uses.
declare module 'autocannon' {
  export interface AutocannonOptions {
    url: string;
    method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD' | 'OPTIONS' | 'PATCH';
    connections?: number;
    duration?: number;
    timeout?: number;
    body?: string;
    headers?: Record<string, string>;
    /** per-request setup: each request may get its own body */
    requests?: { method?: string; path?: string; headers?: Record<string, string>; setupRequest?: (request: { body?: string; [k: string]: unknown }) => { body?: string; [k: string]: unknown } }[];
  }
  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    p50: number;
    p90: number;
    p99: number;
  }
  export interface AutocannonResult {
    duration: number;
    latency: Histogram;
    requests: Histogram & { sent: number };
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
  }
  function autocannon(options: AutocannonOptions, callback: (error: Error | null, result: AutocannonResult) => void): unknown;
  export default autocannon;
}
