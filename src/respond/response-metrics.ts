import type { ActionResult } from '../actions/action';

/**
 * What the responders count, for dashboards and alarms: signals by detection, containment steps by outcome, and the
 * time from the event AWS logged to its containment recorded. Emitted as CloudWatch embedded metrics (log lines, no
 * API call, no permission), so counting can never fail a response.
 */
export interface ResponseMetrics {
  signal(detector: string, severity: string): void;
  steps(results: readonly ActionResult[]): void;
  contained(msFromEvent: number): void;
  /** Sends what was counted (once per invocation). */
  flush(): void;
}

/** Counts nothing: replay, the CLI and tests that do not look. */
export const noMetrics: ResponseMetrics = { signal: () => {}, steps: () => {}, contained: () => {}, flush: () => {} };
