// Static checks of the container files (no Docker engine on these machines: STACK.md).
// `npx dockerfilelint@1.8.0 Dockerfile` and `docker-compose config` were run by hand as well.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
const compose = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8')) as {
  services: Record<string, { build?: unknown; volumes?: string[]; environment?: Record<string, string>; profiles?: string[] }>;
};

describe('Dockerfile', () => {
  const instructions = dockerfile.split('\n').filter((l) => /^[A-Z]+\s/.test(l));
  it('builds in stages on node:20.20-bookworm-slim', () => {
    const froms = instructions.filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f).toMatch(/^FROM node:20\.20-bookworm-slim AS \w+/);
  });
  it('runs as a non-root user, the compiled server', () => {
    const lastUser = instructions.filter((l) => l.startsWith('USER ')).at(-1);
    expect(lastUser).toBe('USER node');
    expect(instructions.at(-1)).toBe('CMD ["node", "dist/server.js"]');
  });
  it('checks health on /healthz at PORT and uses no BuildKit-only syntax', () => {
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*process\.env\.PORT[\s\S]*\/healthz/);
    expect(dockerfile).not.toMatch(/RUN --mount/);
  });
  it('copies the catalog the server loads by default', () => {
    expect(dockerfile).toMatch(/COPY --chown=node:node config \.\/config/);
  });
});

describe('docker-compose.yml', () => {
  it('runs the service with the catalog mounted from config/ for the operator to edit', () => {
    const svc = compose.services.trainplan;
    expect(svc).toBeDefined();
    expect(svc?.volumes).toContain('./config:/app/config:ro');
    expect(svc?.environment?.HARDWARE_CATALOG).toBe('/app/config/hardware.yaml');
  });
});
