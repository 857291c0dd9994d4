import { createHash } from 'node:crypto';
import { BUCKET_LAYOUT } from './bucket-layout';

/**
 * The identity and bookkeeping of one import. An import is one version of one object under
 * `imports/`; its ID is the name of its Step Functions execution, so a duplicate S3 event (the
 * same key and version delivered twice) maps to the same name, and Step Functions itself refuses
 * the second start.
 */

/** Where users drop import files in the uploads bucket (the imports queue's subscription filters on it). */
export const IMPORTS_PREFIX = BUCKET_LAYOUT.imports;
/** Where the pipeline keeps the working files of each import: `import-runs/<importId>/...`. */
export const IMPORT_RUNS_PREFIX = BUCKET_LAYOUT.importRuns;

/** Step Functions execution names: at most 80 characters, and only these are safe in names and URLs. */
const EXECUTION_NAME_MAX = 80;
const HASH_CHARS = 40;

/**
 * The import ID (execution name) of one version of an import file: a readable part from the file
 * name and a hash of the key and version, always under 80 characters and URL-safe.
 *
 * @param version the object's version ID, or for an unversioned object its `ETag@eventTime` (see start-import's versionOf)
 */
export function importIdFor(key: string, version: string): string {
  const hash = createHash('sha256').update(key, 'utf8').update('\n').update(version, 'utf8').digest('hex').slice(0, HASH_CHARS);
  const baseName = key.split('/').pop() ?? '';
  const readable = baseName
    .replace(/\.[^.]*$/, '')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, EXECUTION_NAME_MAX - HASH_CHARS - 1 - 'import-'.length);
  return readable === '' ? `import-${hash}` : `import-${readable}-${hash}`;
}

const IMPORT_ID_PATTERN = /^import-(?:[A-Za-z0-9_-]{1,32}-)?[0-9a-f]{40}$/;

/** Whether a string can be an import ID (so a lookup of anything else is a plain 404). */
export function isImportId(value: string): boolean {
  return value.length <= EXECUTION_NAME_MAX && IMPORT_ID_PATTERN.test(value);
}

/** The input of one execution of the import state machine. Only S3 locations travel between states, never records. */
export interface ImportExecutionInput {
  readonly importId: string;
  readonly bucket: string;
  readonly key: string;
  /** Absent for an unversioned bucket. */
  readonly versionId?: string;
  /** ISO 8601: when the file arrived; the `createdAt` of every user the import creates. */
  readonly submittedAt: string;
}

/** The S3 keys of an import's working files. */
export function importRunKeys(importId: string) {
  const root = `${IMPORT_RUNS_PREFIX}${importId}/`;
  const chunk = (stage: 'valid' | 'normalised', index: number) => `${root}${stage}/${String(index).padStart(5, '0')}.jsonl`;
  return {
    root,
    validChunk: (index: number) => chunk('valid', index),
    normalisedChunk: (index: number) => chunk('normalised', index),
    invalidReport: `${root}invalid.jsonl`,
  };
}

export type ImportStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** One problem with one line, as reports and the status API show it. */
export interface LineProblem {
  readonly line: number;
  readonly reason: string;
}

/** How many problems an import's status item keeps; the full lists are in the S3 reports. */
export const PROBLEM_SAMPLE_SIZE = 10;

/** What Validate hands on. */
export interface ValidationResult {
  readonly sizeBytes: number;
  /**
   * The S3 version the import is for, empty for an unversioned bucket: the Fargate path reads this
   * exact version, even if the key has been overwritten since (a new upload is its own import).
   */
  readonly objectVersion: string;
  readonly validRecords: number;
  readonly invalidRecords: number;
  readonly chunkCount: number;
  readonly invalidSample: readonly LineProblem[];
}

/** What Transform hands on. */
export interface TransformResult {
  readonly chunkCount: number;
  readonly records: number;
}

/** What Load hands on. */
export interface LoadResult {
  /** False when Load stopped at its time budget with its checkpoint written: the state machine runs it again. */
  readonly done: boolean;
  readonly loaded: number;
  readonly duplicates: number;
  readonly duplicateSample: readonly LineProblem[];
}

/** The error Step Functions caught, as a Catch with ResultPath `$.failure` records it. */
export interface CaughtFailure {
  readonly Error: string;
  readonly Cause?: string;
}

/**
 * The message of a caught failure. Step Functions gives a Lambda error's Cause as the JSON the
 * runtime reported (`{"errorType","errorMessage","trace"}`); other causes are plain text.
 */
export function failureMessage(failure: CaughtFailure): string {
  const cause = failure.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as unknown;
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { errorMessage?: unknown }).errorMessage === 'string') {
      return (parsed as { errorMessage: string }).errorMessage;
    }
  } catch {
    // Not JSON: the cause is the message.
  }
  return cause === '' ? failure.Error : cause.slice(0, 1000);
}

/**
 * Records per chunk: Validate's working chunks in S3 and the engine's chunks (one checkpoint each)
 * on both paths. Small enough to hold in memory, large enough to keep S3 requests few.
 */
export const IMPORT_CHUNK_RECORDS = 1000;

/**
 * The environment variable that sets the records per chunk of both import paths: the Lambda path's
 * Validate (working chunks) and Load (checkpoints), and the Fargate worker (checkpoints). The CDK
 * app never sets it, so deployed imports use IMPORT_CHUNK_RECORDS; tests set it to cross chunk boundaries with a few hundred records.
 */
export const IMPORT_CHUNK_SIZE_VARIABLE = 'IMPORT_CHUNK_SIZE';

/** One line of a working chunk: the record with the line it came from. */
export interface ChunkLine<T> {
  readonly line: number;
  readonly record: T;
}

export function chunkText<T>(lines: readonly ChunkLine<T>[]): string {
  return lines.map((entry) => JSON.stringify(entry)).join('\n') + '\n';
}

export function parseChunk<T>(text: string): ChunkLine<T>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ChunkLine<T>);
}

/** One problem the Fargate import job reports: a LineProblem with its kind, so outcomes can sort it. */
export interface JobProblem extends LineProblem {
  readonly kind: 'invalid' | 'existing' | 'duplicate';
}

/** The counts the Fargate import job keeps in its checkpoint, cumulative over every attempt. */
export interface JobCounts {
  /** Users the import created. */
  readonly loaded: number;
  /** Records whose email already belonged to a user before the import. */
  readonly existing: number;
  /** Records whose email appeared on an earlier line of the same file. */
  readonly duplicates: number;
  /** Records that failed validation. */
  readonly invalid: number;
  /** The first problems found, in the order the job found them. */
  readonly problems: readonly JobProblem[];
}

/** The reasons shared by both paths, so GET /imports/{id} reads the same whichever path ran. */
export const duplicateReason = {
  existing: (email: string) => `a user with the email ${email} already exists`,
  inFile: (email: string, firstLine: number) => `the email ${email} is already on line ${firstLine} of this file`,
};

/**
 * A finished Fargate job's counts in the terms of the Lambda path's outcome: an existing email
 * counts as a duplicate there too, and every record that was not invalid was valid.
 */
export function jobOutcome(counts: JobCounts): {
  validRecords: number;
  invalidRecords: number;
  loaded: number;
  duplicates: number;
  invalidSample: LineProblem[];
  duplicateSample: LineProblem[];
} {
  const sample = (kinds: readonly JobProblem['kind'][]) =>
    counts.problems
      .filter((problem) => kinds.includes(problem.kind))
      .sort((a, b) => a.line - b.line)
      .slice(0, PROBLEM_SAMPLE_SIZE)
      .map(({ line, reason }) => ({ line, reason }));
  const duplicates = counts.existing + counts.duplicates;
  return {
    validRecords: counts.loaded + duplicates,
    invalidRecords: counts.invalid,
    loaded: counts.loaded,
    duplicates,
    invalidSample: sample(['invalid']),
    duplicateSample: sample(['existing', 'duplicate']),
  };
}
