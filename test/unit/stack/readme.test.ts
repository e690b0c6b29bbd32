import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../src/local/stack-definition';

/** The README's settings and alarms tables say what serverless.yml deploys: each one, and nothing it does not. */
const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
const template = readFileSync(join(projectRoot, 'serverless.yml'), 'utf8');

const section = (heading: string) => {
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
};

describe('the README against serverless.yml', () => {
  it('lists every setting (param) with its default, and no setting the stack does not have', () => {
    const params = template.split('\nparams:\n  default:\n')[1]!.split('\n\n')[0]!;
    const defaults = new Map(
      [...params.matchAll(/^ {4}(\w+): (.*)$/gm)].map(([, name, value]) => [name!, value!.replace(/^'(.*)'$/, '$1')]),
    );
    expect(defaults.size).toBeGreaterThan(20);
    const rows = new Map(
      [...section('Settings').matchAll(/^\| `(\w+)` \| ([^|]*) \|/gm)].map(([, name, value]) => [name!, value!.trim()]),
    );
    expect([...rows.keys()].sort()).toEqual([...defaults.keys()].sort());
    for (const [name, value] of defaults)
      expect([name, rows.get(name)]).toEqual([name, value === '' ? 'empty' : `\`${value}\``]);
  });

  it('explains every alarm the stack creates, and none it does not', () => {
    const alarms = [...template.matchAll(/AlarmName: kms-warden-\$\{sls:stage\}-(\S+)/g)].map(([, name]) => name!);
    expect(alarms.length).toBeGreaterThan(10);
    // A row may name several alarms of one function: `approvals-errors`, `-throttles`.
    const explained = section('Alarms')
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .flatMap((line) => {
        const names = [...line.split(' | ')[0]!.matchAll(/`([^`]+)`/g)].map(([, name]) => name!);
        const base = names[0]!.replace(/-[a-z]+$/, '');
        return names.map((name) => (name.startsWith('-') ? `${base}${name}` : name));
      });
    expect(explained.sort()).toEqual(alarms.sort());
  });
});
