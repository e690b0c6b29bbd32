import { defaultThresholds } from '../../../src/detections';
import { checkThresholds } from '../../../src/detections/thresholds';
import { parseDetectionSettings } from '../../../src/detections/settings';

describe('thresholds as a person writes them', () => {
  it('keeps the defaults for what is not given, at every level', () => {
    expect(checkThresholds({})).toEqual({ ok: true, value: defaultThresholds });
    expect(checkThresholds({ accessDeniedBurst: { count: 5 }, learningPeriodDays: 0 })).toEqual({
      ok: true,
      value: { ...defaultThresholds, accessDeniedBurst: { count: 5, windowMinutes: 10 }, learningPeriodDays: 0 },
    });
    // The defaults themselves are never changed.
    expect(defaultThresholds.accessDeniedBurst.count).toBe(20);
  });

  it.each([
    [[], 'thresholds: must be a JSON object'],
    [{ acessDeniedBurst: { count: 5 } }, 'acessDeniedBurst: not a threshold'],
    [{ usageSpike: { factr: 3 } }, 'usageSpike.factr: not a threshold'],
    [{ usageSpike: 3 }, 'usageSpike: must be an object'],
    [{ accessDeniedBurst: { count: 2.5 } }, 'accessDeniedBurst.count: must be a whole number'],
    [{ accessDeniedBurst: { count: 0 } }, 'accessDeniedBurst.count: must be more than 0'],
    [{ keyEnumeration: { windowMinutes: '10' } }, 'keyEnumeration.windowMinutes: must be a number'],
    [{ learningPeriodDays: -1 }, 'learningPeriodDays: must be at least 0'],
    [{ guardDutyMinimumSeverity: 11 }, 'guardDutyMinimumSeverity: must be at most 10'],
  ])('refuses %j: %s', (given, problem) => {
    expect(checkThresholds(given)).toEqual({ ok: false, problems: [problem] });
  });

  it('says every problem at once, and replay settings say them too', () => {
    const checked = checkThresholds({ learningPeriodDays: -1, nope: 1 });
    expect(checked.ok ? [] : checked.problems).toEqual([
      'learningPeriodDays: must be at least 0',
      'nope: not a threshold',
    ]);
    expect(() => parseDetectionSettings({ thresholds: { nope: 1 } })).toThrow(/nope: not a threshold/);
    expect(parseDetectionSettings({}).thresholds).toEqual(defaultThresholds);
  });
});
