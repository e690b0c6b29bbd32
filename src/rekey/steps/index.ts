import type { RekeyDeps, RekeyStep } from '../step';
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
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each step checks its own input's shape
export const rekeySteps: ReadonlyArray<RekeyStep<any, unknown>> = [
  begin,
  snapshot,
  createReplacement,
  moveAliases,
  inventory,
  reEncryptBatch,
  verify,
  requestDeletionApproval,
  deletionApproval,
  scheduleDeletion,
  recordFailure,
];

export const stepNames = rekeySteps.map((step) => step.name);

/** Runs the step a Task state names. */
export const runRekeyStep = async (input: { step: string } & Record<string, unknown>, deps: RekeyDeps): Promise<unknown> => {
  const step = rekeySteps.find((s) => s.name === input.step);
  if (!step) throw new Error(`no re-key step named ${JSON.stringify(input.step)}`);
  return step.run(input, deps);
};
