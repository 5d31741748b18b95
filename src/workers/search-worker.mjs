// Worker bootstrap for running from TypeScript sources (tsx, vitest): a worker thread does not
// inherit vitest's transform, and Node 20 cannot load .ts, so register tsx's ESM loader in this
// thread first, then load the TypeScript worker. Compiled builds (dist/) load search-worker.js
// directly and never use this file.
import { register } from 'tsx/esm/api';

register();
const mod = await import('./search-worker.ts');

export default mod.default;
