import { boundedProgress } from '../../../src/incidents/incident';

describe("a resource's progress as stored", () => {
  it('keeps short texts whole and caps long ones, so an incident with many resources stays within one item', () => {
    const long = 'x'.repeat(5000);
    const stored = boundedProgress({
      service: 's3',
      kind: 'objects',
      id: 'b',
      region: 'us-east-1',
      status: 'needs-human',
      detail: long,
      notes: ['short', long],
      instructions: ['step one', long, 'never reached'],
      at: 't',
    });
    expect(stored.detail).toHaveLength(300);
    expect(stored.notes![0]).toBe('short');
    expect(stored.notes!.join('').length).toBeLessThanOrEqual(600);
    expect(stored.instructions![0]).toBe('step one');
    expect(stored.instructions).toHaveLength(2);
    expect(stored.instructions!.join('').length).toBeLessThanOrEqual(1500);
    expect(
      boundedProgress({
        service: 'ssm',
        kind: 'parameter',
        id: '/a',
        region: 'us-east-1',
        status: 're-encrypted',
        detail: 'moved',
        at: 't',
      }),
    ).toEqual({
      service: 'ssm',
      kind: 'parameter',
      id: '/a',
      region: 'us-east-1',
      status: 're-encrypted',
      detail: 'moved',
      at: 't',
    });
  });
});
