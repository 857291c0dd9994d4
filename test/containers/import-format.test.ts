import { ValidationError } from '../../lambda/domain/errors';
import { formatOfKey, readImportRecords, type ImportFormat, type ImportRecord } from '../../containers/worker/src/import-format';

async function* chunks(parts: readonly (string | Uint8Array)[]): AsyncGenerator<string | Uint8Array> {
  for (const part of parts) yield part;
}

async function read(parts: readonly (string | Uint8Array)[], format: ImportFormat): Promise<ImportRecord[]> {
  const records: ImportRecord[] = [];
  for await (const record of readImportRecords(chunks(parts), format)) records.push(record);
  return records;
}

describe('readImportRecords, jsonl', () => {
  it('yields each valid line with its line number and skips blank lines', async () => {
    const records = await read(['{"name":"Ada","email":"ada@example.com"}\n\n', '{"name":"Grace","email":"grace@example.com","phone":"+447700900123"}\n'], 'jsonl');

    expect(records).toEqual([
      { line: 1, record: { name: 'Ada', email: 'ada@example.com' } },
      { line: 3, record: { name: 'Grace', email: 'grace@example.com', phone: '+447700900123' } },
    ]);
  });

  it('reassembles lines and multi-byte characters split across chunks', async () => {
    const bytes = new TextEncoder().encode('{"name":"Zoë","email":"zoe@example.com"}\r\n');
    const split = bytes.indexOf(0xc3) + 1; // inside the two bytes of ë

    const records = await read([bytes.slice(0, split), bytes.slice(split)], 'jsonl');

    expect(records).toEqual([{ line: 1, record: { name: 'Zoë', email: 'zoe@example.com' } }]);
  });

  it('reports malformed JSON and schema problems per line and goes on', async () => {
    const records = await read(['{oops\n{"name":"","email":"nope"}\n{"name":"Ada","email":"ada@example.com","extra":1}\n'], 'jsonl');

    expect(records.map((record) => record.line)).toEqual([1, 2, 3]);
    expect(records[0].problems).toEqual([{ path: '', message: 'is not valid JSON' }]);
    expect(records[1].problems?.map((problem) => problem.path).sort()).toEqual(['email', 'name']);
    expect(records[2].problems).toHaveLength(1);
  });
});

describe('readImportRecords, csv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, numbering rows by the line they start on', async () => {
    const text = 'email,name,phone\r\nada@example.com,"Lovelace, ""Ada""",+447700900123\r\n"grace@example.com","Grace\nHopper",\r\nalan@example.com,Alan,\r\n';

    const records = await read([text.slice(0, 30), text.slice(30)], 'csv');

    expect(records).toEqual([
      { line: 2, record: { name: 'Lovelace, "Ada"', email: 'ada@example.com', phone: '+447700900123' } },
      { line: 3, record: { name: 'Grace\nHopper', email: 'grace@example.com' } },
      { line: 5, record: { name: 'Alan', email: 'alan@example.com' } },
    ]);
  });

  it('reports a row with the wrong number of fields', async () => {
    const records = await read(['name,email\nAda,ada@example.com,extra\n'], 'csv');

    expect(records).toEqual([{ line: 2, problems: [{ path: '', message: 'has 3 fields; the header has 2' }] }]);
  });

  it('rejects a header without the required columns', async () => {
    await expect(read(['fullname,email\nAda,ada@example.com\n'], 'csv')).rejects.toThrow(ValidationError);
  });

  it('rejects a file whose quoted field never closes', async () => {
    await expect(read(['name,email\n"Ada,ada@example.com\n'], 'csv')).rejects.toThrow('cannot be read');
  });
});

describe('formatOfKey', () => {
  it('tells the format from the extension', () => {
    expect([formatOfKey('a/b.JSONL'), formatOfKey('x.ndjson'), formatOfKey('y.csv'), formatOfKey('z.txt')]).toEqual(['jsonl', 'jsonl', 'csv', undefined]);
  });
});
