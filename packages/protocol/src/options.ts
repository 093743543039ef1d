import { InvalidOptionError } from './errors.ts';

/**
 * Small validators shared by every socketlab options object. Each throws InvalidOptionError with a
 * message that names the option and the rule, e.g. `limits.maxLineBytes must be an integer >= 1 (got -1)`.
 */

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return typeof value;
}

export function checkInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
    throw new InvalidOptionError(`${name} must be an integer ${range} (got ${show(value)})`);
  }
  return value;
}

export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new InvalidOptionError(`${name} must be one of ${allowed.map((a) => `"${a}"`).join(', ')} (got ${show(value)})`);
  }
  return value as T;
}

export function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidOptionError(`${name} must be a non-empty string (got ${show(value)})`);
  }
  return value;
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidOptionError(`${name} must be a boolean (got ${show(value)})`);
  return value;
}

/** Rejects keys that are not in `known`, so a typo never silently falls back to a default. */
export function checkKnownKeys(name: string, value: unknown, known: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionError(`${name} must be an object (got ${show(value)})`);
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new InvalidOptionError(`unknown option ${name === 'options' ? '' : name + '.'}${key}; known options: ${known.join(', ')}`);
    }
  }
  return value as Record<string, unknown>;
}

/** Deep-freezes a resolved options object (it is exposed read-only). */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
