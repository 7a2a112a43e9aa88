/**
 * Regenerates the table in docs/errors.md from the error catalog (`npx tsx scripts/gen-errors-doc.ts`).
 * The prose above the table is kept; `src/core/errors.test.ts` checks the two agree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { errorCatalog } from '../src/core/errors.js';

const path = new URL('../docs/errors.md', import.meta.url);
const doc = readFileSync(path, 'utf8');
const header = '| code | PostgreSQL | HTTP | exit | message | what to do |';
const intro = doc.slice(0, doc.indexOf(header));
const escapePipes = (text: string) => text.replace(/\|/g, '\\|');
const rows = Object.entries(errorCatalog).map(
  ([code, e]) =>
    `| \`${code}\` | ${e.severity} \`${e.sqlstate}\` | ${e.http} | ${e.exit} | ${escapePipes(e.message)} | ${escapePipes(e.action)} |`,
);
writeFileSync(path, `${intro}${header}\n|---|---|---|---|---|---|\n${rows.join('\n')}\n`);
