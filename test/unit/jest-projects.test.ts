import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const config = require(path.join(ROOT, 'jest.config.js')) as { projects: { displayName: string; testMatch: string[] }[] };

/** Every *.test.ts under test/, relative to the root. */
function testFiles(folder = 'test'): string[] {
  return fs.readdirSync(path.join(ROOT, folder), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${folder}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === 'fixtures' || entry.name === '__snapshots__' ? [] : testFiles(relative);
    return entry.name.endsWith('.test.ts') ? [relative] : [];
  });
}

describe('jest projects', () => {
  // Every pattern is a folder's `**/*.test.ts`, so a file is run when one pattern's folder holds it.
  const folders = config.projects.flatMap((project) =>
    project.testMatch.map((pattern) => {
      const folder = /^<rootDir>\/(test\/[a-z0-9-]+)\/\*\*\/\*\.test\.ts$/.exec(pattern)?.[1];
      if (folder === undefined) throw new Error(`${project.displayName}: a testMatch pattern this check cannot read: ${pattern}`);
      return { project: project.displayName, folder };
    }),
  );

  it('run every test file, each in exactly one project', () => {
    const files = testFiles();
    expect(files.length).toBeGreaterThan(40);
    for (const file of files) {
      const projects = folders.filter(({ folder }) => file.startsWith(`${folder}/`)).map(({ project }) => project);
      expect({ file, projects: projects.length }).toEqual({ file, projects: 1 });
    }
  });
});
