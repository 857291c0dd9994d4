import { parse as parseCsv, CsvError } from 'csv-parse';
import { pipeline, Readable } from 'node:stream';
import { ImportFileUnreadableError, UnsupportedImportFormatError } from './import-errors';
import { newUserSchema, problemsOf, type NewUser } from './user';

/**
 * Reading import files: the one implementation the import pipeline's Lambda functions and the
 * Fargate worker share. It streams: a file is never held in memory as one string.
 *
 * Formats (UTF-8, a leading byte-order mark is ignored):
 *
 * - JSON Lines (`.jsonl` or `.ndjson`): one JSON object per line with the fields of POST /users
 *   (`name`, `email`, optional `phone`) and nothing else. Blank lines are skipped but counted.
 * - CSV (`.csv`, RFC 4180): a header row naming the columns (`name`, `email`, optional `phone`,
 *   in any order, no others), then one record per row. Fields containing commas, quotes or line
 *   breaks are quoted with `"`, a quote inside a quoted field is doubled (`""`). An empty `phone`
 *   cell means no phone. A record's line is the line it starts on (the header is line 1).
 *
 * Every record is checked against `newUserSchema`, the schema of the users API.
 */
export type ImportFormat = 'jsonl' | 'csv';

export type ImportLine =
  | { readonly line: number; readonly record: NewUser; readonly error?: undefined }
  | { readonly line: number; readonly error: string; readonly record?: undefined };

/** A longer line is reported invalid without being parsed, so one runaway line cannot exhaust memory. */
export const MAX_LINE_CHARS = 64 * 1024;

const CSV_COLUMNS = ['name', 'email', 'phone'] as const;
const REQUIRED_CSV_COLUMNS = ['name', 'email'] as const;

/** The format an object key names, from its extension. */
export function importFormatOf(key: string): ImportFormat {
  const lower = key.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.csv')) return 'csv';
  throw new UnsupportedImportFormatError(`The import file ${JSON.stringify(key)} must end in .jsonl, .ndjson or .csv`);
}

/** Validates one record against the users API schema: the record, or a reason naming each problem. */
export function checkRecord(line: number, input: unknown): ImportLine {
  const result = newUserSchema.safeParse(input);
  if (result.success) return { line, record: result.data };
  const reason = problemsOf(result.error)
    .map((problem) => (problem.path === '' ? problem.message : `${problem.path}: ${problem.message}`))
    .join('; ');
  return { line, error: reason };
}

/**
 * Yields each record of an import file with its line number, valid (`record`) or not (`error`,
 * a reason). Throws ImportFileUnreadableError when the file as a whole cannot be read.
 */
export async function* readImportRecords(source: AsyncIterable<Uint8Array | string>, format: ImportFormat): AsyncGenerator<ImportLine> {
  if (format === 'jsonl') yield* readJsonLines(source);
  else yield* readCsv(source);
}

/** Decodes UTF-8 chunk by chunk (a character split across chunks is kept whole); invalid UTF-8 makes the file unreadable. */
async function* decodeUtf8(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let firstBytes: Uint8Array | undefined;
  try {
    for await (const chunk of source) {
      if (firstBytes === undefined && typeof chunk !== 'string' && chunk.length > 0) firstBytes = chunk.subarray(0, 2);
      const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      if (text !== '') yield text;
    }
    const rest = decoder.decode();
    if (rest !== '') yield rest;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') {
      throw new ImportFileUnreadableError(
        firstBytes !== undefined && firstBytes[0] === 0x1f && firstBytes[1] === 0x8b
          ? 'The file is gzip-compressed, not UTF-8 text: upload it uncompressed'
          : 'The file is not valid UTF-8 text',
      );
    }
    throw error;
  }
}

/** Splits text into lines (`\n` or `\r\n`), numbering from 1; an over-long line comes back as `tooLong`. */
async function* splitLines(source: AsyncIterable<string>): AsyncGenerator<{ line: number; text: string; tooLong: boolean }> {
  let pending = '';
  let overflowing = false;
  let line = 0;
  for await (const chunk of source) {
    let start = 0;
    let newline = chunk.indexOf('\n', start);
    while (newline !== -1) {
      line += 1;
      const piece = chunk.slice(start, newline);
      const tooLong = overflowing || pending.length + piece.length > MAX_LINE_CHARS;
      yield { line, text: tooLong ? '' : (pending + piece).replace(/\r$/, ''), tooLong };
      pending = '';
      overflowing = false;
      start = newline + 1;
      newline = chunk.indexOf('\n', start);
    }
    if (!overflowing) {
      pending += chunk.slice(start);
      if (pending.length > MAX_LINE_CHARS) {
        overflowing = true;
        pending = '';
      }
    }
  }
  if (overflowing || pending !== '') {
    line += 1;
    yield { line, text: overflowing ? '' : pending.replace(/\r$/, ''), tooLong: overflowing };
  }
}

async function* readJsonLines(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<ImportLine> {
  let nonBlankLines = 0;
  let jsonLines = 0;
  for await (const { line, text, tooLong } of splitLines(decodeUtf8(source))) {
    if (tooLong) {
      nonBlankLines += 1;
      yield { line, error: `line is longer than ${MAX_LINE_CHARS} characters` };
      continue;
    }
    const trimmed = line === 1 ? text.replace(/^\uFEFF/, '').trim() : text.trim();
    if (trimmed === '') continue;
    nonBlankLines += 1;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      yield { line, error: 'not valid JSON' };
      continue;
    }
    jsonLines += 1;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { line, error: 'must be a JSON object' };
      continue;
    }
    yield checkRecord(line, value);
  }
  if (nonBlankLines > 0 && jsonLines === 0) {
    throw new ImportFileUnreadableError(`None of the ${nonBlankLines} lines is JSON: the file is not JSON Lines`);
  }
}

/** What an over-long CSV record becomes before parsing: one quoted field, with the record's line breaks (so line numbers stay right). */
const TOO_LONG_MARK = '\u0000record too long\u0000';

/**
 * Passes CSV text through record by record, replacing a record longer than MAX_LINE_CHARS with a
 * short marker record (csv-parse's own max_record_size stops the whole parse instead). Records end
 * at a line feed outside quotes; a quote toggles quoting, which RFC 4180's doubled quotes keep right.
 * At most one record is held.
 */
async function* guardCsvRecords(source: AsyncIterable<string>): AsyncGenerator<string> {
  let pending = '';
  let tooLong = false;
  let quoted = false;
  let lineBreaks = 0;
  let previousWasCr = false;
  const marker = () => `"${TOO_LONG_MARK}${'\n'.repeat(lineBreaks)}"`;
  for await (const chunk of source) {
    let out = '';
    let start = 0;
    for (let index = 0; index < chunk.length; index += 1) {
      const code = chunk.charCodeAt(index);
      if (code === 34) quoted = !quoted;
      else if (code === 10) {
        if (quoted) {
          lineBreaks += 1;
          continue;
        }
        const record = chunk.slice(start, index + 1);
        if (!tooLong && pending.length + record.length - 1 > MAX_LINE_CHARS) tooLong = true;
        // The marker ends as the record did (\r\n or \n): csv-parse holds a file to one record delimiter.
        const crlf = index > 0 ? chunk.charCodeAt(index - 1) === 13 : previousWasCr;
        out += tooLong ? `${marker()}${crlf ? '\r\n' : '\n'}` : pending + record;
        pending = '';
        tooLong = false;
        lineBreaks = 0;
        start = index + 1;
      }
    }
    previousWasCr = chunk.charCodeAt(chunk.length - 1) === 13;
    if (!tooLong) {
      pending += chunk.slice(start);
      if (pending.length > MAX_LINE_CHARS) {
        tooLong = true;
        pending = '';
      }
    }
    if (out !== '') yield out;
  }
  if (tooLong) {
    // Quoting still open at the end of the file: a quote never closed, not one long record.
    if (quoted) throw new ImportFileUnreadableError('The CSV cannot be parsed: a quoted field never closes');
    yield marker();
  } else if (pending !== '') yield pending;
}

async function* readCsv(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<ImportLine> {
  const parser = parseCsv({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true });
  // pipeline, not pipe: an error of the source (invalid UTF-8, a broken S3 stream) destroys the
  // parser with that error, so it reaches the loop below instead of escaping as an uncaught error.
  pipeline(Readable.from(guardCsvRecords(decodeUtf8(source))), parser, () => undefined);
  let columns: string[] | undefined;
  // csv-parse reports the line a record ends on, counting a CRLF inside a quoted field as two
  // lines (and so every later line one too far): both are corrected here.
  let quotedCrlfs = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const count = (pattern: RegExp) => record.reduce((total, field) => total + (field.match(pattern)?.length ?? 0), 0);
      quotedCrlfs += count(/\r\n/g);
      const line = info.lines - quotedCrlfs - count(/\r\n|\n|\r/g);
      if (columns === undefined) {
        columns = headerOf(record);
        continue;
      }
      if (record.length === 1 && record[0].startsWith(TOO_LONG_MARK)) {
        yield { line, error: `record is longer than ${MAX_LINE_CHARS} characters` };
        continue;
      }
      if (record.length !== columns.length) {
        yield { line, error: `has ${record.length} fields; the header names ${columns.length}` };
        continue;
      }
      const input: Record<string, string> = {};
      columns.forEach((column, index) => {
        const value = record[index];
        if (!(column === 'phone' && value.trim() === '')) input[column] = value;
      });
      yield checkRecord(line, input);
    }
  } catch (error) {
    if (error instanceof CsvError) {
      throw new ImportFileUnreadableError(`The CSV cannot be parsed: ${error.message}`);
    }
    throw error;
  }
}

function headerOf(record: string[]): string[] {
  const columns = record.map((column) => column.trim().toLowerCase());
  const unknown = columns.filter((column) => !(CSV_COLUMNS as readonly string[]).includes(column));
  const missing = REQUIRED_CSV_COLUMNS.filter((column) => !columns.includes(column));
  const repeated = columns.filter((column, index) => columns.indexOf(column) !== index);
  if (unknown.length > 0 || missing.length > 0 || repeated.length > 0) {
    const problems = [
      ...(missing.length > 0 ? [`missing ${missing.join(', ')}`] : []),
      ...(unknown.length > 0 ? [`unknown ${unknown.map((column) => JSON.stringify(column)).join(', ')}`] : []),
      ...(repeated.length > 0 ? [`repeated ${repeated.join(', ')}`] : []),
    ];
    throw new ImportFileUnreadableError(`The CSV header must name the columns name, email and optionally phone (${problems.join('; ')})`);
  }
  return columns;
}
