import { areaOf, BUCKET_LAYOUT, keysUnder } from '../../lambda/domain/bucket-layout';
import { CLEANUP_CHECKPOINT_KEY, CLEANUP_PREFIXES } from '../../lambda/domain/cleanup';
import { dailyReportKey } from '../../lambda/domain/daily-report';
import { IMPORTS_PREFIX as IMPORT_JOB_IMPORTS_PREFIX, IMPORT_RUNS_PREFIX, importRunKeys } from '../../lambda/domain/import-job';
import { IMPORTS_PREFIX as UPLOAD_EVENTS_IMPORTS_PREFIX, INCOMING_PREFIX } from '../../lambda/domain/upload-events';

describe('bucket key layout', () => {
  it('gives every area its own prefix, none inside another', () => {
    const prefixes = Object.values(BUCKET_LAYOUT);
    for (const prefix of prefixes) {
      expect(prefix.endsWith('/')).toBe(true);
      expect(prefixes.filter((other) => other !== prefix && other.startsWith(prefix))).toEqual([]);
    }
  });

  it('is the layout the domain code writes and reads', () => {
    expect(INCOMING_PREFIX).toBe(BUCKET_LAYOUT.incoming);
    expect(UPLOAD_EVENTS_IMPORTS_PREFIX).toBe(BUCKET_LAYOUT.imports);
    expect(IMPORT_JOB_IMPORTS_PREFIX).toBe(BUCKET_LAYOUT.imports);
    expect(IMPORT_RUNS_PREFIX).toBe(BUCKET_LAYOUT.importRuns);
    expect(areaOf(importRunKeys('an-import').invalidReport)).toBe('importRuns');
    expect(areaOf(dailyReportKey('2026-11-21'))).toBe('dailyReports');
    expect(areaOf(CLEANUP_CHECKPOINT_KEY)).toBe('weeklyCleanup');
    expect(CLEANUP_PREFIXES).toEqual({
      incoming: BUCKET_LAYOUT.incoming,
      importSources: BUCKET_LAYOUT.imports,
      importRuns: BUCKET_LAYOUT.importRuns,
    });
  });

  it('makes the IAM key pattern of an area', () => {
    expect(keysUnder('imports')).toBe('imports/*');
  });

  it('tells the area of a key, and none for the prefix itself or a key outside every area', () => {
    expect(areaOf('incoming/photo.png')).toBe('incoming');
    expect(areaOf('incoming/')).toBeUndefined();
    expect(areaOf('elsewhere/file')).toBeUndefined();
  });
});
