// Writes deploy/k8s/catalog-configmap.yaml from config/hardware.yaml, config/models.yaml and config/frameworks.yaml, so the
// cluster serves the same validated catalog as the repository. Run after editing config/:
//   npx tsx deploy/k8s/make-configmap.ts          (test/ops.test.ts fails while the two differ)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Document } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const CONFIGMAP_PATH = fileURLToPath(new URL('./catalog-configmap.yaml', import.meta.url));

export function renderCatalogConfigMap(): string {
  const doc = new Document({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'trainplan-catalog', labels: { 'app.kubernetes.io/name': 'trainplan' } },
    data: {
      'hardware.yaml': readFileSync(`${root}/config/hardware.yaml`, 'utf8'),
      'models.yaml': readFileSync(`${root}/config/models.yaml`, 'utf8'),
      'frameworks.yaml': readFileSync(`${root}/config/frameworks.yaml`, 'utf8'),
    },
  });
  const header =
    '# GENERATED from config/hardware.yaml, config/models.yaml and config/frameworks.yaml by deploy/k8s/make-configmap.ts; do not edit.\n' +
    '# After `kubectl apply -k deploy/k8s`, the pods see the new files within about a minute; then reload\n' +
    "# without a restart: kubectl exec <pod> -- sh -c 'kill -HUP 1' (each pod), or kubectl rollout restart deploy/trainplan.\n";
  return header + doc.toString({ lineWidth: 0, blockQuote: 'literal' });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(CONFIGMAP_PATH, renderCatalogConfigMap());
  process.stdout.write(`wrote ${CONFIGMAP_PATH}\n`);
}
