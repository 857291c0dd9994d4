import fc from 'fast-check';
import { csvField, csvRow } from '../../containers/worker/src/export-server';

describe('csvField', () => {
  it.each([
    ['a formula', '=HYPERLINK("http://attacker.example","click")', `"'=HYPERLINK(""http://attacker.example"",""click"")"`],
    ['a leading plus (a phone number)', '+447700900123', `"'+447700900123"`],
    ['a leading minus', "-2+3+cmd|' /C calc'!A0", `"'-2+3+cmd|' /C calc'!A0"`],
    ['a leading at sign', '@SUM(1+1)', `"'@SUM(1+1)"`],
    ['a leading tab', '\t=1+1', `"'\t=1+1"`],
    ['a leading carriage return', '\r=1+1', `"'\r=1+1"`],
    // Spreadsheets that strip a leading tab or CR (the reason both are on OWASP's list) strip a
    // space too (LibreOffice's "Trim spaces" import option): whitespace before a trigger is no cover.
    ['a space before a formula', ' =HYPERLINK("http://attacker.example")', `"' =HYPERLINK(""http://attacker.example"")"`],
    ['spaces before a DDE payload', "  @SUM(1+1)*cmd|' /C calc'!A0", `"'  @SUM(1+1)*cmd|' /C calc'!A0"`],
    ['a line feed before a formula', '\n=1+1', `"'\n=1+1"`],
    ['a no-break space before a plus', '\u00a0+1', `"'\u00a0+1"`],
  ])('neutralises %s: a single quote in front, and the field quoted', (_case, value, written) => {
    expect(csvField(value)).toBe(written);
  });

  it.each([
    ['plain text', 'Ada Lovelace', 'Ada Lovelace'],
    ['a comma', 'Lovelace, Ada', '"Lovelace, Ada"'],
    ['quotes', 'Grace "Amazing" Hopper', '"Grace ""Amazing"" Hopper"'],
    ['a formula trigger that is not first', 'Ada=Lovelace', 'Ada=Lovelace'],
    ['an empty value', '', ''],
  ])('writes %s as RFC 4180 does, unchanged otherwise', (_case, value, written) => {
    expect(csvField(value)).toBe(written);
  });

  it('never writes a field a spreadsheet could read as a formula', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 40 }),
          fc
            .tuple(fc.stringMatching(/^\s{1,3}$/), fc.constantFrom('=', '+', '-', '@'), fc.string({ maxLength: 10 }))
            .map((parts) => parts.join('')),
        ),
        (value) => {
          const written = csvField(value);
          // What a spreadsheet sees as the cell's text: the field with its RFC 4180 quoting undone.
          const cell = written.startsWith('"') ? written.slice(1, -1).replaceAll('""', '"') : written;
          expect(cell).not.toMatch(/^[=+\-@\t\r]/);
          // Nor one that does once a spreadsheet trims the whitespace in front.
          expect(cell.trimStart()).not.toMatch(/^[=+\-@]/);
          expect(cell === value || cell === `'${value}`).toBe(true);
        },
      ),
    );
  });

  it('writes a row of a user with a phone number as the export does', () => {
    expect(csvRow(['id-1', 'Ada', 'ada@example.com', '+447700900123', '2026-01-01T00:00:00.000Z'])).toBe(
      `id-1,Ada,ada@example.com,"'+447700900123",2026-01-01T00:00:00.000Z\r\n`,
    );
  });
});
