import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detections } from '../../../src/detections';
import { projectRoot } from '../../../src/local/stack-definition';

/** The README's detector table: one row per detection, `| \`id\` | fires on | severity |`. */
const rows = () => {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('\n## Detectors\n'), readme.indexOf('\n## The response policy\n'));
  return [...table.matchAll(/^\| `([a-z0-9-]+)` \| (.+) \| (.+) \|$/gm)].map(([, id, firesOn, severity]) => ({
    id: id!,
    firesOn: firesOn!,
    severity: severity!,
  }));
};

describe("the README's detector table", () => {
  it('lists every registered detection once, in the registry order, and nothing else', () => {
    expect(rows().map((row) => row.id)).toEqual(detections.map((d) => d.id));
  });

  it("names each detection's usual severity and every CloudTrail call it runs on", () => {
    for (const detection of detections) {
      const row = rows().find((r) => r.id === detection.id)!;
      expect([detection.id, row.severity.includes(detection.severity)]).toEqual([detection.id, true]);
      const calls = 'appliesTo' in detection ? detection.appliesTo.filter((name) => name !== '*') : [];
      // The cryptographic operations are named as a family ("a cryptographic call").
      if (detection.id === 'cross-account-key-use') continue;
      for (const call of calls)
        expect([detection.id, call, row.firesOn.includes(`\`${call}\``)]).toEqual([detection.id, call, true]);
    }
  });
});
