// Bundles each action into its own dist/<name>/ with ncc (never two actions in one folder).
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';

const actions = [
  'deploy-release',
  'health-gate',
  'rollback',
  'prune-releases',
  'lifecycle',
  'berth',
];
const only = process.argv.slice(2);
for (const name of only.length > 0 ? only : actions) {
  const entry = `src/entrypoints/${name}.ts`;
  if (!existsSync(entry)) continue;
  // ncc 0.45 leaves stale files behind, so each bundle is built into an empty
  // folder and swapped in whole: a running test never sees a half-written dist/.
  const staging = `dist/.building-${name}-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    execFileSync(
      'npx',
      ['ncc', 'build', entry, '--out', staging, '--minify', '--license', 'licenses.txt', '--quiet'],
      { stdio: 'inherit' },
    );
    rmSync(`dist/${name}`, { recursive: true, force: true });
    renameSync(staging, `dist/${name}`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
