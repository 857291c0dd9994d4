/**
 * A jest snapshot serializer for CloudFormation templates: it replaces values that change when
 * only handler code or asset content changes (asset hashes, the hash suffix of Lambda version
 * logical IDs), so a template snapshot changes only when the infrastructure does.
 * test/infra/template-serializer.test.ts proves it with a real bundling synth.
 */
const NORMALISED = Symbol('normalised template');

const ASSET_HASH = /[0-9a-f]{64}/g;
/** `FunctionCurrentVersion4E2B2261xxxxxxxx...`: CDK appends a hash of the function's code and config. */
const VERSION_LOGICAL_ID = /(CurrentVersion[0-9A-F]{8})[0-9a-f]{32}/g;

export function normaliseTemplate(template: unknown): unknown {
  const text = JSON.stringify(template).replace(ASSET_HASH, '[ASSET HASH]').replace(VERSION_LOGICAL_ID, '$1[CODE HASH]');
  return JSON.parse(text) as unknown;
}

/** The serializer's `test`: a template not yet normalised. */
export function test(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'Resources' in value && !(NORMALISED in value);
}

type Printer = (value: unknown, config: unknown, indentation: string, depth: number, refs: unknown) => string;

export function serialize(value: unknown, config: unknown, indentation: string, depth: number, refs: unknown, printer: Printer): string {
  const normalised = normaliseTemplate(value) as object;
  Object.defineProperty(normalised, NORMALISED, { value: true, enumerable: false });
  return printer(normalised, config, indentation, depth, refs);
}
