import type { Principal } from '../../../src/events/principal';
import { priorKeyState } from '../../../src/policy/prior-key-state';
import type { KeyStateChange } from '../../../src/state/key-journal';

const suspect: Principal = { kind: 'assumed-role', arn: 'arn:aws:iam::123456789012:role/deployer' };
const change = (
  state: KeyStateChange['state'],
  changedBy: string,
  eventTime = '2026-11-01T00:00:00.000Z',
): KeyStateChange => ({
  state,
  changedBy,
  eventId: `ev-${state}-${eventTime}`,
  eventTime,
});
const admin = 'arn:aws:iam::123456789012:role/KeyAdmins';

describe('the state a key goes back to after its deletion is undone', () => {
  it.each([
    ['nothing seen: the configured assumption', undefined, 'Enabled', 'Enabled'],
    ['nothing seen, configured to assume Disabled', undefined, 'Disabled', 'Disabled'],
    [
      'last disabled by someone else',
      { current: change('Disabled', admin), previous: undefined },
      'Enabled',
      'Disabled',
    ],
    [
      'last enabled by someone else',
      { current: change('Enabled', admin), previous: change('Disabled', admin) },
      'Disabled',
      'Enabled',
    ],
    [
      "disabled by the suspect (a session of the suspect's role): the state before that",
      {
        current: change(
          'Disabled',
          'arn:aws:sts::123456789012:assumed-role/deployer/mallory',
          '2026-11-02T00:00:00.000Z',
        ),
        previous: change('Enabled', admin),
      },
      'Disabled',
      'Enabled',
    ],
    [
      'only the suspect changed it: the configured assumption',
      { current: change('Disabled', suspect.arn), previous: change('Enabled', suspect.arn) },
      'Enabled',
      'Enabled',
    ],
  ] as const)('%s', (_name, history, whenUnknown, expected) => {
    const prior = priorKeyState(history, suspect, whenUnknown);
    expect(prior.state).toBe(expected);
    expect(prior.basis).not.toHaveLength(0);
  });
});
