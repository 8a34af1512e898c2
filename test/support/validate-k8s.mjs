// Validates Kubernetes objects against the JSON schemas of the Kubernetes OpenAPI spec, as
// compiled by the `kubernetes-models` package (ESM only, hence a child process of the jest test).
// Input: a JSON array of objects on stdin. Output: a JSON array of {index, kind, name, errors}.
import { readFileSync } from 'node:fs';

const objects = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const [index, obj] of objects.entries()) {
  const kind = obj?.kind;
  const apiVersion = obj?.apiVersion;
  const name = obj?.metadata?.name ?? null;
  let errors = [];
  try {
    const mod = await import(`kubernetes-models/${apiVersion}/${kind}`);
    const Model = mod[kind] ?? mod.default;
    if (!Model) throw new Error(`no model for ${apiVersion} ${kind}`);
    new Model(obj).validate();
  } catch (err) {
    const details = err?.details ?? err?.errors;
    errors = Array.isArray(details)
      ? details.map(
          (e) => `${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params ?? {})}`,
        )
      : [String(err?.message ?? err)];
  }
  results.push({ index, kind, name, errors });
}
process.stdout.write(JSON.stringify(results));
