// Builds the real app on the shipped catalog, as server.ts does (STYLE.md 2). Always close it.
import { buildApp, type AppOptions } from '../src/app.js';
import { defaultCatalogPaths, loadCatalog } from '../src/config/catalog.js';

let catalogPromise: ReturnType<typeof loadCatalog> | undefined;

export function shippedCatalog(): ReturnType<typeof loadCatalog> {
  catalogPromise ??= loadCatalog(defaultCatalogPaths());
  return catalogPromise;
}

export async function buildTestApp(options: Partial<AppOptions> = {}) {
  const app = await buildApp({ catalog: await shippedCatalog(), logger: false, ...options });
  await app.ready();
  return app;
}

/** The "done means" request: Llama 3.1 405B on 16,384 H100 with Meta's published layout. */
export const LLAMA_405B_REQUEST = {
  model: { preset: 'llama-3.1-405b' },
  // described as the run was made: PyTorch with FSDP that shards gradients and optimizer states but keeps
  // parameters after forward (ZeRO-2-like, combined with pipeline parallelism; Dubey et al. 2024 Sec. 3.3.2):
  // torchtitan's rules, not Megatron-Core's (whose distributed optimizer is ZeRO-1)
  training: { tokens: '15.6T', sequenceLength: 8192, globalBatchTokens: '16M', precision: 'bf16', framework: 'torchtitan' },
  hardware: { gpu: 'h100-sxm-80gb', count: 16384 },
  parallelism: { tensor: 8, pipeline: 16, data: 128 },
} as const;
