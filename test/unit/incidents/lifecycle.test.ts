import { canMove, isActive, statusesLeadingTo } from '../../../src/incidents/lifecycle';

describe('the incident lifecycle', () => {
  it.each([
    ['approved', ['contained', 'awaiting-approval']],
    ['rejected', ['awaiting-approval']],
    ['released', ['open', 'contained', 'awaiting-approval', 'rejected']],
    ['contained', ['open']],
  ] as const)('allows %s only from %j', (to, from) => {
    expect(statusesLeadingTo(to)).toEqual(from);
  });

  it('takes no decision once released or closed', () => {
    expect(isActive('released')).toBe(false);
    expect(isActive('closed')).toBe(false);
    expect(isActive('contained')).toBe(true);
    expect(canMove('released', 'approved')).toBe(false);
  });
});
