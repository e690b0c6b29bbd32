import { detectors } from '../../../src/detectors';
import { apiCallCases } from './api-call-cases';
import { inputCases } from './input-cases';
import { statefulCases } from './stateful-cases';

describe('detector registry', () => {
  const cases = { ...apiCallCases, ...statefulCases, ...inputCases };

  it('gives every detector a unique id', () => {
    const ids = detectors.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(detectors.map((d) => [d.id]))('%s has fixtures that must fire it and fixtures that must not', (id) => {
    expect(cases[id]?.match.length ?? 0).toBeGreaterThan(0);
    expect(cases[id]?.noMatch.length ?? 0).toBeGreaterThan(0);
  });

  it('has no fixtures for a detector that does not exist', () => {
    expect(Object.keys(cases).sort()).toEqual(detectors.map((d) => d.id).sort());
  });

  it.each(detectors.map((d) => [d.id, d] as const))('%s is described in the file of the same name', (id, detector) => {
    expect(detector.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
    expect(() => require.resolve(`../../../src/detectors/${id}`)).not.toThrow();
    expect(['low', 'medium', 'high', 'critical']).toContain(detector.severity);
  });
});
