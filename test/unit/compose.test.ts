import { describe, expect, it } from 'vitest';
import {
  composeCommand,
  configSubcommand,
  downSubcommand,
  pullSubcommand,
  restartSubcommand,
  stopSubcommand,
  upSubcommand,
  type ComposeProject,
} from '../../src/commands/compose.js';

const V2: ComposeProject = {
  tool: { argv: ['docker', 'compose'], version: '2.27.0' },
  projectName: 'shop',
  projectDirectory: 'berth/Shop/releases/rel_1700000000_abcdef12/deploy dir',
  envFile: 'berth/Shop/releases/rel_1700000000_abcdef12/.env',
  files: [
    'berth/Shop/releases/rel_1700000000_abcdef12/compose.yml',
    "berth/Shop/releases/rel_1700000000_abcdef12/it's $(odd).yml",
    'berth/Shop/releases/rel_1700000000_abcdef12/berth.pin.yml',
  ],
};

describe('composeCommand', () => {
  it('puts the project options and every file before the subcommand, in order', () => {
    expect(composeCommand(V2, upSubcommand())).toEqual([
      'docker',
      'compose',
      '--project-name',
      'shop',
      '--project-directory',
      V2.projectDirectory,
      '--env-file',
      V2.envFile,
      '--file',
      V2.files[0],
      '--file',
      V2.files[1],
      '--file',
      V2.files[2],
      'up',
      '--detach',
      '--remove-orphans',
    ]);
  });

  it('uses docker-compose as a single word for v1', () => {
    const argv = composeCommand(
      { ...V2, tool: { argv: ['docker-compose'], version: '1.29.2' }, files: ['c.yml'] },
      configSubcommand(),
    );
    expect(argv).toEqual([
      'docker-compose',
      '--project-name',
      'shop',
      '--project-directory',
      V2.projectDirectory,
      '--env-file',
      V2.envFile,
      '--file',
      'c.yml',
      'config',
    ]);
  });

  it('keeps every user value a whole argument, never split or joined', () => {
    const argv = composeCommand(V2, pullSubcommand());
    for (const value of [V2.projectDirectory, V2.envFile, ...V2.files]) {
      expect(argv.filter((arg) => arg === value)).toHaveLength(1);
    }
  });
});

describe('subcommands', () => {
  it('are the expected argument lists', () => {
    expect(configSubcommand()).toEqual(['config']);
    expect(pullSubcommand()).toEqual(['pull', '--quiet']);
    expect(upSubcommand()).toEqual(['up', '--detach', '--remove-orphans']);
    expect(stopSubcommand()).toEqual(['stop']);
    expect(restartSubcommand()).toEqual(['restart']);
  });

  it('removes volumes on down only when asked', () => {
    expect(downSubcommand(false)).toEqual(['down', '--remove-orphans']);
    expect(downSubcommand(true)).toEqual(['down', '--remove-orphans', '--volumes']);
  });

  it('returns a fresh array each time', () => {
    const first = upSubcommand();
    first.push('--build');
    expect(upSubcommand()).toEqual(['up', '--detach', '--remove-orphans']);
  });
});
