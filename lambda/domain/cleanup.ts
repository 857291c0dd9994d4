import { BUCKET_LAYOUT } from './bucket-layout';

/**
 * The weekly cleanup: what it removes, in which order, and how it resumes.
 *
 * It works through phases, each a key prefix of the uploads bucket and a maximum age. It lists
 * keys in order, a page at a time, deletes those older than the phase's age, and stops when its
 * time budget or its per-run object budget runs out, saving where it was (the phase and the last
 * key seen). The next run starts there. It never deletes anything outside these prefixes (daily
 * reports stay) and never touches the users table: it is given no access to it.
 */
export const CLEANUP_PHASES = ['incoming', 'importSources', 'importRuns'] as const;
export type CleanupPhase = (typeof CLEANUP_PHASES)[number];

export const CLEANUP_PREFIXES: Record<CleanupPhase, string> = {
  /** Uploaded files: processed (or abandoned) once older than the configured age. */
  incoming: BUCKET_LAYOUT.incoming,
  /** Import files: every import finishes within the state machine's timeout, far below the age. */
  importSources: BUCKET_LAYOUT.imports,
  /** The pipeline's working chunks and reports, `import-runs/<importId>/...`. */
  importRuns: BUCKET_LAYOUT.importRuns,
};

/** Where the cleanup saves its place between runs (in the uploads bucket). */
export const CLEANUP_CHECKPOINT_KEY = `${BUCKET_LAYOUT.weeklyCleanup}checkpoint.json`;

export interface CleanupCheckpoint {
  readonly phase: CleanupPhase;
  /** The last key examined in that phase. */
  readonly startAfter?: string;
}

export interface CleanupInput {
  /** Report what would be deleted, delete nothing, and leave the checkpoint as it is. */
  readonly dryRun?: boolean;
}

export type MaxAgeDays = Record<CleanupPhase, number>;

export function isExpired(lastModified: Date, now: Date, maxAgeDays: number): boolean {
  return now.getTime() - lastModified.getTime() > maxAgeDays * 86_400_000;
}

/** The checkpoint saved in the bucket, or the start when there is none or it is not one. */
export function parseCheckpoint(text: string | undefined): CleanupCheckpoint {
  if (text === undefined) return { phase: CLEANUP_PHASES[0] };
  try {
    const value = JSON.parse(text) as Partial<CleanupCheckpoint>;
    if (typeof value.phase === 'string' && (CLEANUP_PHASES as readonly string[]).includes(value.phase)) {
      return { phase: value.phase, ...(typeof value.startAfter === 'string' ? { startAfter: value.startAfter } : {}) };
    }
  } catch {
    // A damaged checkpoint costs one full pass, nothing more.
  }
  return { phase: CLEANUP_PHASES[0] };
}

export interface CleanupReport {
  readonly dryRun: boolean;
  /** Objects deleted (or, in a dry run, that would be), per phase. */
  readonly deleted: Record<CleanupPhase, number>;
  /** A few of the keys, so a dry run shows what it means. */
  readonly sampleKeys: string[];
  /** True when the whole bucket was gone through; false when the run stopped early and saved its place. */
  readonly complete: boolean;
  /** Where the next run starts. */
  readonly resumeAt: CleanupCheckpoint;
}

/** How the cleanup reaches the bucket (a BucketStore in the handler). */
export interface CleanupBucket {
  list(
    prefix: string,
    startAfter: string | undefined,
    maxKeys: number,
  ): Promise<{ objects: readonly { key: string; lastModified: Date }[]; truncated: boolean }>;
  deleteAll(keys: readonly string[]): Promise<void>;
}

export interface CleanupRun {
  readonly bucket: CleanupBucket;
  readonly now: Date;
  readonly maxAgeDays: MaxAgeDays;
  readonly from: CleanupCheckpoint;
  readonly dryRun: boolean;
  /** Stop when fewer milliseconds than this are left (the Lambda context's remaining time). */
  readonly hasTimeLeft: () => boolean;
  /** At most this many objects are examined in one run. */
  readonly maxObjectsPerRun: number;
  /** @default 1000 (the most one S3 list or delete request takes) */
  readonly pageSize?: number;
}

/** Runs the cleanup from a checkpoint until it is done or out of budget. */
export async function runCleanup(run: CleanupRun): Promise<CleanupReport> {
  const pageSize = run.pageSize ?? 1000;
  const deleted: Record<CleanupPhase, number> = { incoming: 0, importSources: 0, importRuns: 0 };
  const sampleKeys: string[] = [];
  let examined = 0;
  let phaseIndex = CLEANUP_PHASES.indexOf(run.from.phase);
  let startAfter = run.from.startAfter;

  while (phaseIndex < CLEANUP_PHASES.length) {
    if (!run.hasTimeLeft() || examined >= run.maxObjectsPerRun) {
      return {
        dryRun: run.dryRun,
        deleted,
        sampleKeys,
        complete: false,
        resumeAt: { phase: CLEANUP_PHASES[phaseIndex], ...(startAfter === undefined ? {} : { startAfter }) },
      };
    }
    const phase = CLEANUP_PHASES[phaseIndex];
    const page = await run.bucket.list(CLEANUP_PREFIXES[phase], startAfter, Math.min(pageSize, run.maxObjectsPerRun - examined));
    examined += page.objects.length;
    const expired = page.objects
      .filter((object) => isExpired(object.lastModified, run.now, run.maxAgeDays[phase]))
      .map((object) => object.key);
    if (!run.dryRun) await run.bucket.deleteAll(expired);
    deleted[phase] += expired.length;
    sampleKeys.push(...expired.slice(0, Math.max(0, 10 - sampleKeys.length)));
    if (page.truncated && page.objects.length > 0) {
      startAfter = page.objects[page.objects.length - 1].key;
    } else {
      phaseIndex += 1;
      startAfter = undefined;
    }
  }
  return { dryRun: run.dryRun, deleted, sampleKeys, complete: true, resumeAt: { phase: CLEANUP_PHASES[0] } };
}
