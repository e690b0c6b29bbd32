import { detectInComplianceChange, detectInFinding } from '../../../src/detectors';
import type { InputEvent } from '../../../src/events/input';
import { classified, inputCases } from './input-cases';
import { settings } from './settings';

const signalsOf = (event: InputEvent) =>
  event.kind === 'guardduty-finding'
    ? detectInFinding(event.finding, settings)
    : event.kind === 'config-compliance'
      ? detectInComplianceChange(event.change, settings)
      : [];

describe.each(Object.entries(inputCases))('%s', (id, { match, noMatch }) => {
  it.each(match.map((c) => [c.name, c] as const))('fires on %s', (_name, c) => {
    const signals = signalsOf(classified(c.input)).filter((s) => s.detector === id);
    expect(signals).toHaveLength(1);
    if (c.expect) expect(signals[0]).toMatchObject(c.expect);
  });

  it.each(noMatch.map((c) => [c.name, c] as const))('stays quiet on %s', (_name, c) => {
    expect(signalsOf(classified(c.input)).filter((s) => s.detector === id)).toEqual([]);
  });
});
