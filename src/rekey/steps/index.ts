import type { z } from 'zod';
import { MalformedRekeyStepInputError } from '../../errors';
import type { RekeyDeps, RekeyStep } from '../step';
import { awaitPeople } from './await-people';
import { begin } from './begin';
import { createReplacement } from './create-replacement';
import { deletionApproval } from './deletion-approval';
import { inventory } from './inventory';
import { moveAliases } from './move-aliases';
import { reEncryptBatch } from './re-encrypt-batch';
import { recordFailure } from './record-failure';
import { requestDeletionApproval } from './request-deletion-approval';
import { scheduleDeletion } from './schedule-deletion';
import { snapshot } from './snapshot';
import { verify } from './verify';

/** Every step of the re-key workflow, by the name its Task state passes. A step not listed here cannot run. */
export const rekeySteps: ReadonlyArray<RekeyStep<z.ZodType, unknown>> = [
  begin,
  snapshot,
  createReplacement,
  moveAliases,
  inventory,
  reEncryptBatch,
  verify,
  awaitPeople,
  requestDeletionApproval,
  deletionApproval,
  scheduleDeletion,
  recordFailure,
];

export const stepNames = rekeySteps.map((step) => step.name);

/**
 * Runs the step a Task state names, with its input parsed by the step's schema: the boundary where the state machine
 * hands it over. A malformed input (or an unknown step) is a MalformedRekeyStepInputError, which the definition does
 * not retry.
 */
export const runRekeyStep = async (
  input: { step: string } & Record<string, unknown>,
  deps: RekeyDeps,
): Promise<unknown> => {
  const step = rekeySteps.find((s) => s.name === input.step);
  if (!step)
    throw new MalformedRekeyStepInputError(String(input.step), [`no re-key step named ${JSON.stringify(input.step)}`]);
  const parsed = step.input.safeParse(input);
  if (!parsed.success) {
    throw new MalformedRekeyStepInputError(
      step.name,
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`),
      { cause: parsed.error },
    );
  }
  await sameAsRecorded(step.name, parsed.data as Record<string, unknown>, deps);
  return step.run(parsed.data, deps);
};

/** JSON with every object's keys in order: the same snapshot, whatever order a store gives its maps back in. */
const stable = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );

/**
 * The snapshot and the replacement a step is handed must be the ones the incident records: whoever could invoke the
 * step function with an input of their own (anyone allowed lambda:InvokeFunction on it) cannot point it at other keys,
 * Regions or replicas than the run's.
 */
const sameAsRecorded = async (step: string, input: Record<string, unknown>, deps: RekeyDeps): Promise<void> => {
  const run = input.run as { incidentId: string } | undefined;
  if (!run || (!input.snapshot && !input.replacement)) return;
  const recorded = (await deps.incidents.head(run.incidentId))?.rekey;
  const problems = [
    ...(input.snapshot && (!recorded?.snapshot || stable(recorded.snapshot) !== stable(input.snapshot))
      ? ['snapshot: not the one the incident records']
      : []),
    ...(input.replacement && (input.replacement as { keyArn: string }).keyArn !== recorded?.replacementKeyArn
      ? ['replacement: not the one the incident records']
      : []),
  ];
  if (problems.length > 0) throw new MalformedRekeyStepInputError(step, problems);
};
