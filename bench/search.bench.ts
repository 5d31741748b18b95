// The search part of the bench alone (npx tsx bench/search.bench.ts); npm run bench runs bench/run.ts,
// which also measures POST /v1/parallelism.
import { measureSearches, measureThroughput } from './search.js';

for (const r of measureThroughput()) {
  console.log(`${r.name.padEnd(32)} memory ${(r.memoryPerSecond / 1e6).toFixed(2)} M/s  time ${(r.timePerSecond / 1e6).toFixed(2)} M/s  memory+time ${(r.bothPerSecond / 1e6).toFixed(2)} M/s`);
}
for (const s of measureSearches()) {
  console.log(`${s.name.padEnd(32)} full search ${s.medianMs.toFixed(0)} ms (median), complete=${s.result.complete}`);
}
