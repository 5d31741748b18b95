// Worker bootstrap for running from TypeScript sources (tsx, vitest): register tsx's ESM loader in
// this thread, then load the TypeScript worker. Compiled builds (dist/) load plan-worker.js directly.
import { register } from 'tsx/esm/api';

register();
const mod = await import('./plan-worker.ts');

export default mod.default;
