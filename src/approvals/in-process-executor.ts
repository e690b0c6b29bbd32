import { carryOutWhenFree, executionLeaseMs, type BusyWait, type DecisionJob, type DecisionOutcome } from './carry-out';
import type { DecisionDeps, DecisionExecutor } from './decide';

/**
 * Carries decisions out in this process (the CLI with the operator's own credentials, the local demo, tests), and
 * answers with what was done. While another decision of the incident is being carried out it waits, up to the lease
 * of a run that died.
 */
export class InProcessExecutor implements DecisionExecutor {
  constructor(
    private readonly deps: DecisionDeps,
    private readonly wait: BusyWait = { everyMs: 250, forMs: executionLeaseMs },
  ) {}

  dispatch(job: DecisionJob): Promise<DecisionOutcome> {
    return carryOutWhenFree(this.deps, job, this.wait);
  }
}
