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
