import { ValidationError, type FieldProblem } from '../../../lambda/domain/errors';
import { parseNewUser, type NewUser } from '../../../lambda/domain/user';

/**
 * Streaming reader of import files. It follows the contract shared with the import pipeline
 * (wip/imports plans the same function in lambda/domain/import-format.ts; the lead keeps one):
 *
 * - `jsonl`: one JSON object per line with `name`, `email`, optional `phone`; blank lines ignored.
 * - `csv`: a header row naming `name`, `email` and optionally `phone` (any order), then one record
 *   per row, RFC 4180 quoting (a quoted field may hold commas, doubled quotes and line breaks).
 *
 * Every record is checked with `parseNewUser`, the same schema the API uses. A bad record is
 * yielded with its problems and the file goes on; a file that cannot be read as its format at all
 * (a CSV without the required columns, an unterminated quote) throws a ValidationError.
 *
 * `line` is the 1-based line the record starts on: it only grows, so a loader can checkpoint it.
 */
export type ImportFormat = 'jsonl' | 'csv';

export interface ImportRecord {
  readonly line: number;
  readonly record?: NewUser;
  readonly problems?: FieldProblem[];
}

/** Longest line or record accepted: a user is far smaller, and it bounds memory on a broken file. */
export const MAX_RECORD_CHARS = 64 * 1024;

const CSV_COLUMNS = ['name', 'email', 'phone'] as const;
const REQUIRED_CSV_COLUMNS = ['name', 'email'] as const;

export async function* readImportRecords(
  input: AsyncIterable<Uint8Array | string>,
  format: ImportFormat,
): AsyncGenerator<ImportRecord> {
  if (format === 'jsonl') yield* readJsonLines(input);
  else if (format === 'csv') yield* readCsv(input);
  else throw new ValidationError(`Unknown import format ${JSON.stringify(format)}`, [{ path: 'format', message: 'must be jsonl or csv' }]);
}

/** The format an object key implies (`.jsonl`/`.ndjson` or `.csv`), or undefined. */
export function formatOfKey(key: string): ImportFormat | undefined {
  const lower = key.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.csv')) return 'csv';
  return undefined;
}

function validate(line: number, input: unknown): ImportRecord {
  try {
    return { line, record: parseNewUser(input) };
  } catch (error) {
    if (error instanceof ValidationError) return { line, problems: [...error.problems] };
    throw error;
  }
}

/** Decodes UTF-8 across chunk boundaries (a multi-byte character may be split between chunks). */
async function* decode(input: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of input) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (text.length > 0) yield text;
  }
  const rest = decoder.decode();
  if (rest.length > 0) yield rest;
}

async function* readJsonLines(input: AsyncIterable<Uint8Array | string>): AsyncGenerator<ImportRecord> {
  let lineNumber = 0;
  let pending = '';
  let skippingLongLine = false;

  function parseLine(text: string): ImportRecord | undefined {
    lineNumber += 1;
    const trimmed = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (trimmed.trim() === '') return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      return { line: lineNumber, problems: [{ path: '', message: 'is not valid JSON' }] };
    }
    return validate(lineNumber, parsed);
  }

  for await (const text of decode(input)) {
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      const piece = text.slice(start, newline);
      start = newline + 1;
      if (skippingLongLine) {
        skippingLongLine = false;
        pending = '';
        continue;
      }
      const result = parseLine(pending + piece);
      pending = '';
      if (result) yield result;
    }
    if (!skippingLongLine) pending += text.slice(start);
    if (pending.length > MAX_RECORD_CHARS) {
      // Report the line once and drop the rest of it up to its newline.
      lineNumber += 1;
      yield { line: lineNumber, problems: [{ path: '', message: `is longer than ${MAX_RECORD_CHARS} characters` }] };
      pending = '';
      skippingLongLine = true;
    }
  }
  if (!skippingLongLine && pending !== '') {
    const result = parseLine(pending);
    if (result) yield result;
  }
}

/** RFC 4180 rows with the line each starts on. */
async function* csvRows(input: AsyncIterable<Uint8Array | string>): AsyncGenerator<{ line: number; fields: string[] }> {
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  /** After a closing quote: only a delimiter, a quote (an escaped quote) or a line end may follow. */
  let afterQuote = false;
  let line = 1;
  let rowStart = 1;
  let rowChars = 0;
  let pendingCr = false;

  const endRow = () => {
    fields.push(field);
    const row = { line: rowStart, fields };
    fields = [];
    field = '';
    rowChars = 0;
    afterQuote = false;
    rowStart = line;
    return row;
  };

  for await (const text of decode(input)) {
    for (let i = 0; i < text.length; i += 1) {
      const char = text[i];
      if (pendingCr) {
        pendingCr = false;
        if (char === '\n') continue; // the \n of a \r\n already ended the row
      }
      rowChars += 1;
      if (rowChars > MAX_RECORD_CHARS) {
        throw new ValidationError('The CSV file cannot be read', [
          { path: `line ${rowStart}`, message: `record is longer than ${MAX_RECORD_CHARS} characters (an unterminated quote?)` },
        ]);
      }
      if (inQuotes) {
        if (char === '"') {
          inQuotes = false;
          afterQuote = true;
        } else {
          if (char === '\n') line += 1;
          field += char;
        }
        continue;
      }
      if (char === '"') {
        if (afterQuote) {
          // A doubled quote inside a quoted field: one literal quote, still quoted.
          field += '"';
          inQuotes = true;
          afterQuote = false;
        } else if (field === '') {
          inQuotes = true;
        } else {
          field += char; // a stray quote in an unquoted field is kept as text, as most readers do
        }
      } else if (char === ',') {
        fields.push(field);
        field = '';
        afterQuote = false;
      } else if (char === '\n' || char === '\r') {
        line += 1;
        pendingCr = char === '\r';
        yield endRow();
      } else {
        field += char;
        afterQuote = false;
      }
    }
  }
  if (inQuotes) {
    throw new ValidationError('The CSV file cannot be read', [{ path: `line ${rowStart}`, message: 'a quoted field is never closed' }]);
  }
  if (field !== '' || fields.length > 0) yield endRow();
}

async function* readCsv(input: AsyncIterable<Uint8Array | string>): AsyncGenerator<ImportRecord> {
  let columns: string[] | undefined;
  for await (const row of csvRows(input)) {
    const blank = row.fields.length === 1 && row.fields[0].trim() === '';
    if (blank) continue;
    if (columns === undefined) {
      columns = readHeader(row.fields, row.line);
      continue;
    }
    if (row.fields.length !== columns.length) {
      yield { line: row.line, problems: [{ path: '', message: `has ${row.fields.length} fields; the header has ${columns.length}` }] };
      continue;
    }
    const input: Record<string, string> = {};
    columns.forEach((column, index) => {
      const value = row.fields[index];
      // An empty optional cell means "absent", not "an empty phone number".
      if (!(column === 'phone' && value === '')) input[column] = value;
    });
    yield validate(row.line, input);
  }
  if (columns === undefined) {
    throw new ValidationError('The CSV file cannot be read', [{ path: 'header', message: 'the file is empty; expected a header row' }]);
  }
}

function readHeader(fields: string[], line: number): string[] {
  const columns = fields.map((field) => field.trim().toLowerCase().replace(/^\uFEFF/, ''));
  const problems: FieldProblem[] = [];
  for (const column of columns) {
    if (!(CSV_COLUMNS as readonly string[]).includes(column)) problems.push({ path: 'header', message: `unknown column ${JSON.stringify(column)}` });
  }
  for (const required of REQUIRED_CSV_COLUMNS) {
    if (!columns.includes(required)) problems.push({ path: 'header', message: `missing column ${JSON.stringify(required)}` });
  }
  if (new Set(columns).size !== columns.length) problems.push({ path: 'header', message: 'a column is named twice' });
  if (problems.length > 0) {
    throw new ValidationError(`The CSV header on line ${line} must name the columns name, email and optionally phone`, problems);
  }
  return columns;
}
