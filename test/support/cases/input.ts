import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyInput, type InputEvent } from '../../../src/events/input';
import { realRecords } from '../records';

export interface InputCase {
  name: string;
  input: unknown;
  expect?: Record<string, unknown>;
}

export const guardduty = (file: string, index: number) => realRecords(file)[index] as Record<string, unknown>;
export const withoutSample = (finding: Record<string, unknown>) => {
  const service = finding.service as Record<string, unknown>;
  return { ...finding, service: { ...service, additionalInfo: {} } };
};
export const withType = (finding: Record<string, unknown>, type: string) => ({ ...finding, type });
export const withSeverity = (finding: Record<string, unknown>, severity: number) => ({ ...finding, severity });

export const iamEvent = guardduty('aws-samples-guardduty-automated-response.ndjson', 1);
export const attackSequence = guardduty('panther-guardduty.ndjson', 0);
export const configChange = JSON.parse(
  readFileSync(
    join(__dirname, '..', '..', 'fixtures', 'config', 'ComplianceChange.rotation-noncompliant.json'),
    'utf8',
  ),
);

export { realRecords };

export const classified = (input: unknown): InputEvent => {
  const result = classifyInput(input);
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.event;
};
