import { commandNames, main } from '../../../src/cli/main';

const captured = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (line: string) => void out.push(line), err: (line: string) => void err.push(line) } };
};

describe('the CLI flags every command shares', () => {
  const region = process.env.AWS_REGION;
  afterEach(() => {
    if (region === undefined) delete process.env.AWS_REGION;
    else process.env.AWS_REGION = region;
  });

  it.each(commandNames)('%s answers --help with a usage that offers --json, and accepts --json with it', async (name) => {
    const help = captured();
    expect(await main([name, '--help'], help.io)).toBe(0);
    expect(help.out.join('\n')).toMatch(/^Usage/);
    expect(help.out.join('\n')).toContain('--json');
    expect(help.err).toEqual([]);
    const both = captured();
    expect(await main([name, '--json', '--help', '--region', 'eu-west-1'], both.io)).toBe(0);
    expect(both.out).toEqual(help.out);
  });

  it('refuses an unknown flag in one line that points to --help, exit code 2', async () => {
    const run = captured();
    expect(await main(['incidents', 'list', '--colour'], run.io)).toBe(2);
    expect(run.err).toEqual([expect.stringMatching(/^kms-warden incidents: Unknown option '--colour'.*See kms-warden incidents --help\.$/)]);
  });
});
