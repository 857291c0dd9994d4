/** Reads a required environment variable. A missing one is a deployment bug, so it fails loudly. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`Environment variable ${name} is not set`);
  }
  return value;
}

/**
 * Creates a value on first use and keeps it for the life of the execution environment. Clients
 * made this way are reused across warm invocations, and tests can set the environment (endpoints,
 * table names) before the first call instead of before the module is imported.
 */
export function lazy<T>(create: () => T): () => T {
  let value: T | undefined;
  let created = false;
  return () => {
    if (!created) {
      value = create();
      created = true;
    }
    return value as T;
  };
}

/** Reads an optional environment variable: undefined when it is not set or empty. */
export function optionalEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Reads a required whole-number environment variable, at least `min`. A value that is not one is
 * a deployment bug, so it fails loudly, naming the variable and the value, rather than run with NaN.
 */
export function requireIntEnv(name: string, options: { readonly min?: number } = {}): number {
  return parseIntEnv(name, requireEnv(name), options.min ?? 0);
}

/** Like requireIntEnv, but undefined when the variable is not set. */
export function optionalIntEnv(name: string, options: { readonly min?: number } = {}): number | undefined {
  const raw = optionalEnv(name);
  return raw === undefined ? undefined : parseIntEnv(name, raw, options.min ?? 0);
}

function parseIntEnv(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!/^\s*-?\d+\s*$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
    throw new Error(`Environment variable ${name} must be a whole number of at least ${min}, not ${JSON.stringify(raw)}`);
  }
  return value;
}
