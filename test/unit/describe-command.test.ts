import { describe, expect, it } from 'vitest';
import { describeCommand } from '../../src/remote/describe-command.js';
import { switchCurrentCommand, writeFileAtomicCommand } from '../../src/commands/release-files.js';
import { siteLayout } from '../../src/commands/site-layout.js';

describe('describeCommand', () => {
  it('shows a plain command as a quoted command line', () => {
    expect(describeCommand(['docker', 'image', 'rm', '--', 'berth/a:1', 'it is'])).toBe(
      "docker image rm -- berth/a:1 'it is'",
    );
  });

  it('names a berth- script by its $0 instead of printing the script', () => {
    const layout = siteLayout('/srv/berth', 'shop');
    const argv = switchCurrentCommand(layout, 'rel_1700000000_abcdef12');
    expect(describeCommand(argv)).toBe(
      'berth-switch /srv/berth/shop/current releases/rel_1700000000_abcdef12',
    );
  });

  it('prints other sh -c scripts in full', () => {
    expect(describeCommand(['sh', '-c', 'echo "$1"', 'sh', 'x'])).toBe(`sh -c 'echo "$1"' sh x`);
    expect(describeCommand(['sh', '-c', 'echo hi'])).toBe(`sh -c 'echo hi'`);
  });

  it('does not treat a berth- word elsewhere as a script name', () => {
    expect(describeCommand(['bash', '-c', 'true', 'berth-x'])).toBe('bash -c true berth-x');
    expect(describeCommand(['sh', '-e', 'true', 'berth-x'])).toBe('sh -e true berth-x');
  });

  it('shortens arguments longer than 200 characters', () => {
    const document = JSON.stringify({ data: 'x'.repeat(500) });
    const line = describeCommand(writeFileAtomicCommand('/srv/m.json', document));
    expect(line).toBe(`berth-write /srv/m.json '${document.slice(0, 200)}…'`);
  });

  it('keeps an argument of exactly 200 characters whole', () => {
    const arg = 'a'.repeat(200);
    expect(describeCommand(['echo', arg])).toBe(`echo ${arg}`);
    expect(describeCommand(['echo', arg + 'b'])).toBe(`echo '${arg}…'`);
  });

  it('quotes so the line can be pasted into a shell', () => {
    expect(describeCommand(['printf', '%s', "it's $(x)"])).toBe(`printf %s 'it'\\''s $(x)'`);
  });

  it('does not modify its input', () => {
    const argv = ['echo', 'y'.repeat(300)];
    describeCommand(argv);
    expect(argv[1]).toHaveLength(300);
  });
});
