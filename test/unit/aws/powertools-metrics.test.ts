import { PowertoolsResponseMetrics } from '../../../src/aws/powertools-metrics';

describe("the responders' metrics as CloudWatch embedded metric format", () => {
  it('writes signals, steps by outcome and time to containment in the kms-warden namespace', () => {
    const lines: string[] = [];
    // Powertools writes through a console of its own, to standard output.
    const log = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
    try {
      const metrics = new PowertoolsResponseMetrics();
      metrics.signal('key-deletion-scheduled', 'critical');
      metrics.steps([
        { outcome: 'applied', before: {}, after: {} },
        { outcome: 'applied', before: {}, after: {} },
        { outcome: 'skipped', reason: 'already' },
      ]);
      metrics.contained(1834);
      metrics.flush();
      metrics.flush();
    } finally {
      log.mockRestore();
    }
    const emitted = lines.map(
      (line) =>
        JSON.parse(line) as Record<string, unknown> & {
          _aws: { CloudWatchMetrics: Array<{ Namespace: string; Metrics: Array<{ Name: string }> }> };
        },
    );
    const named = (name: string) =>
      emitted.filter((e) => e._aws.CloudWatchMetrics[0]!.Metrics.some((m) => m.Name === name));
    expect(emitted.every((e) => e._aws.CloudWatchMetrics[0]!.Namespace === 'kms-warden')).toBe(true);
    expect(named('Signals')).toEqual([
      expect.objectContaining({ detection: 'key-deletion-scheduled', severity: 'critical', Signals: 1 }),
    ]);
    expect(named('ContainmentSteps')).toEqual([
      expect.objectContaining({ outcome: 'applied', ContainmentSteps: 2 }),
      expect.objectContaining({ outcome: 'skipped', ContainmentSteps: 1 }),
    ]);
    // Sent once: a second flush with nothing stored sends nothing.
    expect(named('TimeFromEventToContainment')).toEqual([
      expect.objectContaining({ TimeFromEventToContainment: 1834 }),
    ]);
  });
});
