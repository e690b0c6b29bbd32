import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { strictRules } from '../../support/strict-aws/rules';

describe("the README's table of where AWS is stricter than the emulator", () => {
  const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('### Where AWS is stricter than the emulator'),
    readme.indexOf('### Choices, and why'),
  );

  it.each(strictRules.map((rule) => [rule.id, rule] as const))('lists %s with its documentation', (id, rule) => {
    const row = section.split('\n').find((line) => line.startsWith(`| \`${id}\` |`));
    expect(row).toBeDefined();
    expect(row).toContain(rule.docs[0]);
  });

  it('lists no rule that does not exist', () => {
    const listed = [...section.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((match) => match[1]);
    expect(listed.sort()).toEqual(strictRules.map((rule) => rule.id).sort());
  });

  it('cites an AWS page for every rule', () => {
    for (const rule of strictRules)
      expect(rule.docs.every((url) => /^https:\/\/(docs\.aws\.amazon\.com|repost\.aws)\//.test(url))).toBe(true);
  });
});
