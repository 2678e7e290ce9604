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
  // ncc 0.45 leaves stale files behind, so each output folder starts empty.
  rmSync(`dist/${name}`, { recursive: true, force: true });
  execFileSync(
    'npx',
    [
      'ncc',
      'build',
      entry,
      '--out',
      `dist/${name}`,
      '--minify',
      '--license',
      'licenses.txt',
      '--quiet',
    ],
    { stdio: 'inherit' },
  );
}
