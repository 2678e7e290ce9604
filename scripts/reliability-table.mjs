// Prints the reliability suite's results table (case -> outcome) from the
// lines the e2e tests recorded; `--readme` also writes it into README.md
// between the reliability markers.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const file = 'test/e2e/.results/reliability.jsonl';
if (process.argv.includes('--reset')) {
  rmSync(file, { force: true });
  process.exit(0);
}
if (!existsSync(file)) {
  console.log('No reliability results recorded.');
  process.exit(0);
}
const rows = readFileSync(file, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line));
const order = [];
const bySection = new Map();
for (const row of rows) {
  if (!bySection.has(row.section)) {
    bySection.set(row.section, []);
    order.push(row.section);
  }
  bySection.get(row.section).push(row);
}
const lines = ['| area | case | outcome | count |', '| --- | --- | --- | --- |'];
let total = 0;
for (const section of order.sort()) {
  for (const row of bySection.get(section)) {
    total += row.count;
    lines.push(
      `| ${section} | ${String(row.case).replace(/\|/g, '\\|')} | ${String(row.outcome).replace(/\|/g, '\\|')} | ${row.count} |`,
    );
  }
}
const table = lines.join('\n');
console.log(`\nReliability results (${rows.length} rows, ${total} checked cases)\n\n${table}\n`);
if (process.argv.includes('--readme')) {
  const readme = readFileSync('README.md', 'utf8');
  const start = '<!-- reliability:start -->';
  const end = '<!-- reliability:end -->';
  const i = readme.indexOf(start);
  const j = readme.indexOf(end);
  if (i === -1 || j === -1) throw new Error('README.md lacks the reliability markers');
  writeFileSync('README.md', `${readme.slice(0, i + start.length)}\n${table}\n${readme.slice(j)}`);
}
