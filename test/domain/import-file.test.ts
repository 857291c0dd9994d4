import { gzipSync } from 'node:zlib';
import { ImportFileUnreadableError, UnsupportedImportFormatError } from '../../lambda/domain/import-errors';
import { importFormatOf, MAX_LINE_CHARS, readImportRecords, type ImportFormat, type ImportLine } from '../../lambda/domain/import-file';
import { importIdFor, isImportId } from '../../lambda/domain/import-job';
import {
  runImport,
  type ExistingUser,
  type ImportCheckpoint,
  type ImportCheckpoints,
  type ImportUserWriter,
} from '../../lambda/domain/import-engine';
import { userIdForEmail } from '../../lambda/domain/user-id';

/** Feeds `text` to the reader as UTF-8 bytes cut into chunks of `size` bytes (cutting through characters and line ends). */
async function read(text: string, format: ImportFormat, size = 7): Promise<ImportLine[]> {
  const bytes = Buffer.from(text, 'utf8');
  async function* chunks() {
    for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size);
  }
  const lines: ImportLine[] = [];
  for await (const entry of readImportRecords(chunks(), format)) lines.push(entry);
  return lines;
}

async function collect(records: AsyncIterable<ImportLine>): Promise<ImportLine[]> {
  const lines: ImportLine[] = [];
  for await (const entry of records) lines.push(entry);
  return lines;
}

describe('readImportRecords, JSON Lines', () => {
  it('yields each record with its line, across chunk boundaries that split characters and CRLF line ends', async () => {
    const text =
      '\uFEFF{"name":"Zoë Ångström","email":"zoe@example.com"}\r\n\r\n{"name":"Bob","email":"bob@example.com","phone":"+447700900123"}';

    expect(await read(text, 'jsonl', 3)).toEqual([
      { line: 1, record: { name: 'Zoë Ångström', email: 'zoe@example.com' } },
      { line: 3, record: { name: 'Bob', email: 'bob@example.com', phone: '+447700900123' } },
    ]);
  });

  it('reports malformed JSON, non-objects, schema violations and unknown fields by line', async () => {
    const text = [
      '{"name":"A","email":"a@example.com"}',
      '{oops',
      '[1,2]',
      '{"name":"B","email":"nope"}',
      '{"name":"C","email":"c@example.com","role":"admin"}',
    ].join('\n');

    const lines = await read(text, 'jsonl');

    expect(lines.map((entry) => [entry.line, entry.error ?? 'ok'])).toEqual([
      [1, 'ok'],
      [2, 'not valid JSON'],
      [3, 'must be a JSON object'],
      [4, expect.stringContaining('email')],
      [5, expect.stringContaining('role')],
    ]);
  });

  it('reports an over-long line without holding it, and goes on with the next', async () => {
    const text = `{"name":"${'x'.repeat(MAX_LINE_CHARS + 10)}","email":"long@example.com"}\n{"name":"Ok","email":"ok@example.com"}\n`;

    const lines = await read(text, 'jsonl', 4096);

    expect(lines).toEqual([
      { line: 1, error: `line is longer than ${MAX_LINE_CHARS} characters` },
      { line: 2, record: { name: 'Ok', email: 'ok@example.com' } },
    ]);
  });

  it('refuses a file with no JSON at all as unreadable', async () => {
    await expect(read('name,email\nA,a@example.com\n', 'jsonl')).rejects.toThrow(ImportFileUnreadableError);
  });

  it('refuses bytes that are not UTF-8 as unreadable', async () => {
    async function* binary() {
      yield Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]);
    }
    const reading = (async () => {
      for await (const entry of readImportRecords(binary(), 'jsonl')) void entry;
    })();
    await expect(reading).rejects.toMatchObject({ name: 'ImportFileUnreadableError', message: 'The file is not valid UTF-8 text' });
  });
});

describe('readImportRecords, CSV', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, numbering records by their first line', async () => {
    const text =
      'name,email,phone\r\n"Lovelace, Ada",ada@example.com,\r\n"Carol ""CJ""\r\nJones",carol@example.com,+447700900123\r\n\r\nDan,dan@example.com,\r\n';

    expect(await read(text, 'csv', 5)).toEqual([
      { line: 2, record: { name: 'Lovelace, Ada', email: 'ada@example.com' } },
      { line: 3, record: { name: 'Carol "CJ"\r\nJones', email: 'carol@example.com', phone: '+447700900123' } },
      { line: 6, record: { name: 'Dan', email: 'dan@example.com' } },
    ]);
  });

  it('numbers records right after a bare line feed inside a quoted field of a CRLF file', async () => {
    const text =
      'email,name,phone\r\nada@example.com,"Lovelace, ""Ada""",+447700900123\r\n"grace@example.com","Grace\nHopper",\r\nalan@example.com,Alan,\r\n';

    expect(await read(text, 'csv', 30)).toEqual([
      { line: 2, record: { name: 'Lovelace, "Ada"', email: 'ada@example.com', phone: '+447700900123' } },
      { line: 3, record: { name: 'Grace\nHopper', email: 'grace@example.com' } },
      { line: 5, record: { name: 'Alan', email: 'alan@example.com' } },
    ]);
  });

  it('reports a row with the wrong number of fields and goes on', async () => {
    expect(await read('name,email\nAda,ada@example.com,extra\nBob,bob@example.com\n', 'csv')).toEqual([
      { line: 2, error: 'has 3 fields; the header names 2' },
      { line: 3, record: { name: 'Bob', email: 'bob@example.com' } },
    ]);
  });

  it('refuses a quoted field that never closes as unreadable', async () => {
    await expect(read('name,email\n"Ada,ada@example.com\n', 'csv')).rejects.toMatchObject({ name: 'ImportFileUnreadableError' });
  });

  it('reports an over-long row invalid and reads the rows around it', async () => {
    const text = `name,email\nA,a@example.com\n${'x'.repeat(70_000)},b@example.com\nC,c@example.com\n`;

    expect(await read(text, 'csv', 4096)).toEqual([
      { line: 2, record: { name: 'A', email: 'a@example.com' } },
      { line: 3, error: `record is longer than ${MAX_LINE_CHARS} characters` },
      { line: 4, record: { name: 'C', email: 'c@example.com' } },
    ]);
  });

  it('keeps line numbers right after an over-long quoted record with line breaks', async () => {
    const text = `name,email\r\n"${'y'.repeat(70_000)}\r\n\r\nz",e@example.com\r\nF,f@example.com\r\n`;

    expect(await read(text, 'csv', 4096)).toEqual([
      { line: 2, error: `record is longer than ${MAX_LINE_CHARS} characters` },
      { line: 5, record: { name: 'F', email: 'f@example.com' } },
    ]);
  });

  it('refuses Latin-1 text as unreadable, saying it is not UTF-8', async () => {
    async function* latin1() {
      yield Buffer.from('name,email\nJos\u00e9,jose@example.com\n', 'latin1');
    }

    await expect(collect(readImportRecords(latin1(), 'csv'))).rejects.toMatchObject({
      name: 'ImportFileUnreadableError',
      message: expect.stringContaining('not valid UTF-8'),
    });
  }, 5_000);

  it('refuses a gzip file as unreadable, saying it is compressed', async () => {
    async function* gzipped() {
      yield gzipSync(Buffer.from('name,email\nAda,ada@example.com\n'));
    }

    await expect(collect(readImportRecords(gzipped(), 'csv'))).rejects.toMatchObject({
      name: 'ImportFileUnreadableError',
      message: expect.stringContaining('gzip'),
    });
  }, 5_000);

  it('passes on an error of the source stream instead of losing it', async () => {
    async function* broken() {
      yield Buffer.from('name,email\nAda,ada@example.com\n');
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    }

    await expect(collect(readImportRecords(broken(), 'csv'))).rejects.toThrow('socket hang up');
  }, 5_000);

  it('accepts the columns in any order and without phone', async () => {
    expect(await read('Email,Name\nx@example.com,X\n', 'csv')).toEqual([{ line: 2, record: { name: 'X', email: 'x@example.com' } }]);
  });

  it('refuses a header without the required columns or with unknown ones', async () => {
    await expect(read('name,mail\nA,a@example.com\n', 'csv')).rejects.toThrow(/missing email; unknown "mail"/);
  });

  it('refuses broken quoting as unreadable', async () => {
    await expect(read('name,email\n"A"x,a@example.com\n', 'csv')).rejects.toMatchObject({ name: 'ImportFileUnreadableError' });
  });
});

describe('importFormatOf', () => {
  it('knows the format from the extension', () => {
    expect([importFormatOf('imports/a.JSONL'), importFormatOf('imports/b.ndjson'), importFormatOf('imports/c.csv')]).toEqual([
      'jsonl',
      'jsonl',
      'csv',
    ]);
  });

  it('refuses other extensions', () => {
    expect(() => importFormatOf('imports/users.xlsx')).toThrow(UnsupportedImportFormatError);
  });
});

describe('importIdFor', () => {
  it('is the same for the same key and version, and different for another version', () => {
    const first = importIdFor('imports/team users.csv', 'v1');
    expect(importIdFor('imports/team users.csv', 'v1')).toBe(first);
    expect(importIdFor('imports/team users.csv', 'v2')).not.toBe(first);
    expect(first).toMatch(/^import-team-users-[0-9a-f]{40}$/);
  });

  it('fits the 80 characters of an execution name and is a valid import ID, whatever the key', () => {
    const id = importIdFor(`imports/${'ü'.repeat(300)}${'long-name'.repeat(50)}.jsonl`, 'v'.repeat(1024));
    expect(id.length).toBeLessThanOrEqual(80);
    expect(isImportId(id)).toBe(true);
    expect(isImportId(importIdFor('imports/.csv', 'x'))).toBe(true);
  });
});

describe('runImport, the import engine', () => {
  /** The users table, in memory: a conditional put succeeds only on a free ID. */
  function memoryUsers(seed: [string, ExistingUser][] = []) {
    const table = new Map<string, ExistingUser>(seed);
    const writer: ImportUserWriter = {
      createIfAbsent: async (user) => {
        const owner = table.get(user.id);
        if (owner !== undefined) return { created: false, owner };
        table.set(user.id, { importId: user.importId, importLine: user.importLine });
        return { created: true };
      },
    };
    return { table, writer };
  }
  function memoryCheckpoints() {
    const items = new Map<string, ImportCheckpoint>();
    const store: ImportCheckpoints = {
      get: async (importId) => items.get(importId),
      save: async (importId, status, progress) => {
        items.set(importId, { importId, status, ...progress });
      },
      markFailed: async (importId, reason) => {
        const item = items.get(importId);
        if (item !== undefined) items.set(importId, { ...item, status: 'FAILED', failure: reason });
      },
    };
    return { items, store };
  }
  async function* linesOf(entries: ImportLine[]) {
    yield* entries;
  }
  const valid = (line: number, email: string): ImportLine => ({ line, record: { name: `N${line}`, email } });

  it("counts a user this line of this import already wrote as loaded, and anyone else's as existing or a repeat", async () => {
    const users = memoryUsers([
      [userIdForEmail('mine@example.com'), { importId: 'import-x', importLine: 1 }],
      [userIdForEmail('theirs@example.com'), {}],
    ]);
    const checkpoints = memoryCheckpoints();

    const run = await runImport({
      importId: 'import-x',
      records: () =>
        linesOf([
          valid(1, 'mine@example.com'),
          valid(2, 'theirs@example.com'),
          valid(3, 'new@example.com'),
          valid(4, 'NEW@example.com'),
          { line: 5, error: 'bad' },
        ]),
      checkpoints: checkpoints.store,
      users: users.writer,
    });

    expect(run.status).toBe('SUCCEEDED');
    expect(run.progress).toMatchObject({ lastLine: 5, loaded: 2, existing: 1, duplicates: 1, invalid: 1 });
    expect(run.progress.problems).toEqual([
      { line: 4, kind: 'duplicate', reason: 'the email new@example.com is already on line 3 of this file' },
      { line: 5, kind: 'invalid', reason: 'bad' },
      { line: 2, kind: 'existing', reason: 'a user with the email theirs@example.com already exists' },
    ]);
    expect(users.table.get(userIdForEmail('new@example.com'))).toEqual({ importId: 'import-x', importLine: 3 });
  });

  it('stops after the chunk during which it is asked to, and a new attempt resumes with exact counts', async () => {
    const users = memoryUsers();
    const checkpoints = memoryCheckpoints();
    const entries = Array.from({ length: 10 }, (_, index) => valid(index + 1, `u${index}@example.com`));
    let stop = true;
    const options = {
      importId: 'import-y',
      records: () => linesOf(entries),
      checkpoints: checkpoints.store,
      users: users.writer,
      chunkRecords: 4,
      shouldStop: () => stop,
    };

    const first = await runImport(options);
    stop = false;
    const second = await runImport(options);

    expect(first).toMatchObject({ status: 'STOPPED', progress: { lastLine: 4, loaded: 4 } });
    expect(second).toMatchObject({
      status: 'SUCCEEDED',
      resumedAfterLine: 4,
      progress: { lastLine: 10, loaded: 10, existing: 0, duplicates: 0 },
    });
    expect(users.table.size).toBe(10);
  });

  it('counts exactly once across a write that applied but answered an error, repeats across chunks and a user created between attempts', async () => {
    const users = memoryUsers();
    const failOnce = new Set([userIdForEmail('d@example.com')]);
    // DynamoDB applied the put, then the answer was lost (5xx / timeout after the SDK's last retry).
    const writer: ImportUserWriter = {
      createIfAbsent: async (user) => {
        const outcome = await users.writer.createIfAbsent(user);
        if (failOnce.delete(user.id)) throw new Error('socket hang up');
        return outcome;
      },
    };
    const checkpoints = memoryCheckpoints();
    const options = {
      importId: 'import-r',
      records: () =>
        linesOf([
          valid(1, 'a@example.com'),
          valid(2, 'b@example.com'),
          valid(3, 'A@example.com'),
          valid(4, 'c@example.com'),
          valid(5, 'c@example.com'),
          valid(6, 'd@example.com'),
          valid(7, 'e@example.com'),
          valid(8, 'e@example.com'),
        ]),
      checkpoints: checkpoints.store,
      users: writer,
      chunkRecords: 2,
    };

    await expect(runImport(options)).rejects.toThrow('socket hang up');
    expect(checkpoints.items.get('import-r')).toMatchObject({ lastLine: 4, loaded: 3, duplicates: 1 });
    // POST /users creates e@ between the two attempts.
    users.table.set(userIdForEmail('e@example.com'), {});
    const second = await runImport(options);

    expect(second).toMatchObject({
      status: 'SUCCEEDED',
      resumedAfterLine: 4,
      progress: { lastLine: 8, loaded: 4, existing: 1, duplicates: 3, invalid: 0 },
    });
    expect(second.progress.problems.map(({ line, kind }) => `${line} ${kind}`)).toEqual([
      '3 duplicate',
      '5 duplicate',
      '8 duplicate',
      '7 existing',
    ]);
    expect(users.table.size).toBe(5);
    const rerun = await runImport(options);
    expect(rerun).toMatchObject({ alreadyDone: true, progress: { loaded: 4, existing: 1, duplicates: 3 } });
  });

  it('fails a file whose every record is invalid with NoValidRecordsError, naming the first problems', async () => {
    const checkpoints = memoryCheckpoints();

    const run = runImport({
      importId: 'import-z',
      records: () => linesOf([{ line: 2, error: 'email: must be an email address' }]),
      checkpoints: checkpoints.store,
      users: memoryUsers().writer,
    });

    await expect(run).rejects.toMatchObject({
      name: 'NoValidRecordsError',
      message: 'None of the 1 records is valid (line 2: email: must be an email address)',
    });
    expect(checkpoints.items.get('import-z')?.status).toBe('RUNNING');
  });
});
