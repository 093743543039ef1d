import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { DESIGNS, RETIRED_DESIGNS } from './designs.ts';
import { ResultsInvalidError } from './errors.ts';
import { ConfigSchema, READABLE_SCHEMA_VERSIONS, SCHEMA_VERSION, resultsJsonSchema, type ResolvedSweepConfig, type SweepResults } from './schema.ts';

/** One validation failure: the JSON Pointer of the failing field (`/cells/0/runs/2/totalMs`) and what is wrong. */
export interface ValidationIssue {
  path: string;
  message: string;
}

export interface ValidationResult {
  ok: boolean;
  errors: ValidationIssue[];
}

let ajv: Ajv | null = null;
let resultsValidator: ValidateFunction | null = null;
let configValidator: ValidateFunction | null = null;

function compiler(): Ajv {
  // strictTypes off: TypeBox writes nullable fields as anyOf [T, null], which strictTypes reports.
  return (ajv ??= new Ajv({ allErrors: true, strict: true, strictTypes: false }));
}

function toIssues(errors: readonly ErrorObject[] | null | undefined): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    let path = e.instancePath || '';
    let message = e.message ?? 'is invalid';
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'required' && typeof params.missingProperty === 'string') {
      path += `/${params.missingProperty}`;
      message = 'is required';
    } else if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      path += `/${params.additionalProperty}`;
      message = 'is not a known field';
    } else if (e.keyword === 'enum' && Array.isArray(params.allowedValues)) {
      message = `must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    const key = `${path || '/'}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path: path || '/', message });
  }
  // A nullable field that fails reports each branch ("must be number", "must be null", "must match a
  // schema in anyOf"): merge them into one line per path ("must be number or null").
  const merged: ValidationIssue[] = [];
  for (const issue of out) {
    if (issue.message === 'must match a schema in anyOf' && out.some((o) => o !== issue && o.path === issue.path)) continue;
    const type = /^must be (\w+)$/.exec(issue.message);
    const prev = type ? merged.find((m) => m.path === issue.path && /^must be \w+( or \w+)*$/.test(m.message)) : undefined;
    if (prev) prev.message += ` or ${type![1]}`;
    else merged.push({ ...issue });
  }
  return merged;
}

/**
 * Checks a results document against the schema (schema.json). Returns every problem with the path of
 * the failing field; a document of another schemaVersion gets one clear error.
 */
export function validateResults(json: unknown): ValidationResult {
  if (json && typeof json === 'object' && 'schemaVersion' in json && !READABLE_SCHEMA_VERSIONS.includes((json as { schemaVersion: number }).schemaVersion)) {
    return { ok: false, errors: [{ path: '/schemaVersion', message: `is ${JSON.stringify((json as { schemaVersion: unknown }).schemaVersion)}; this version of @socketlab/results reads schemaVersion ${READABLE_SCHEMA_VERSIONS.join(' and ')}` }] };
  }
  resultsValidator ??= compiler().compile(resultsJsonSchema());
  const ok = resultsValidator(json) as boolean;
  if (!ok) return { ok, errors: toIssues(resultsValidator.errors) };
  const designErrors = unknownDesigns(json as SweepResults);
  return { ok: designErrors.length === 0, errors: designErrors };
}

/**
 * The schema accepts any well-spelled design name (a user's server is named by the user); a name that
 * is neither built-in nor `external` must then be one of config.servers, so that a misspelt built-in
 * name is still an error rather than an unknown server. Designs of earlier results (RETIRED_DESIGNS) are known.
 */
function unknownDesigns(doc: SweepResults): ValidationIssue[] {
  const known = new Set<string>([...DESIGNS, ...RETIRED_DESIGNS, 'external', ...(doc.config.servers ?? []).map((s) => s.name)]);
  const out: ValidationIssue[] = [];
  const check = (path: string, name: string) => {
    if (!known.has(name)) out.push({ path, message: `is ${JSON.stringify(name)}: neither a built-in design (${DESIGNS.join(', ')}), external, nor a server in /config/servers` });
  };
  doc.config.designs.forEach((d, i) => check(`/config/designs/${i}`, d));
  doc.cells.forEach((c, i) => {
    check(`/cells/${i}/design`, c.design);
    c.servers.forEach((s, j) => check(`/cells/${i}/servers/${j}/design`, s.design));
  });
  return out;
}

/** Like validateResults, but throws ResultsInvalidError (naming the first fields) and narrows the type. */
export function assertValidResults(json: unknown): asserts json is SweepResults {
  const { ok, errors } = validateResults(json);
  if (!ok) {
    const shown = errors.slice(0, 5).map((e) => `${e.path} ${e.message}`).join('; ');
    throw new ResultsInvalidError(`results do not match schemaVersion ${(json as { schemaVersion?: unknown } | null)?.schemaVersion ?? SCHEMA_VERSION}: ${shown}${errors.length > 5 ? ` (and ${errors.length - 5} more)` : ''}`);
  }
}

/** Checks a fully resolved configuration (e.g. the `config` of an earlier results document). */
export function validateConfig(json: unknown): ValidationResult {
  configValidator ??= compiler().compile(JSON.parse(JSON.stringify(ConfigSchema)) as object);
  const ok = configValidator(json) as boolean;
  return { ok, errors: ok ? [] : toIssues(configValidator.errors) };
}

export type { ResolvedSweepConfig };
