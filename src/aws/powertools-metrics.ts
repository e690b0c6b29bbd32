import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ActionResult } from '../actions/action';
import type { ResponseMetrics } from '../respond/response-metrics';

/**
 * The responders' metrics as CloudWatch embedded metric format (Powertools for AWS Lambda): written to the function's
 * log, which CloudWatch turns into metrics in the kms-warden namespace. Dimensions stay few (detection, outcome) so
 * the number of metrics stays bounded whatever outsiders send.
 * https://docs.aws.amazon.com/powertools/typescript/latest/features/metrics/
 */
export class PowertoolsResponseMetrics implements ResponseMetrics {
  constructor(private readonly metrics = new Metrics({ namespace: 'kms-warden', serviceName: 'responder' })) {}

  signal(detector: string, severity: string): void {
    const single = this.metrics.singleMetric();
    single.addDimension('detection', detector);
    single.addDimension('severity', severity);
    single.addMetric('Signals', MetricUnit.Count, 1);
  }

  steps(results: readonly ActionResult[]): void {
    const byOutcome = new Map<string, number>();
    for (const result of results) byOutcome.set(result.outcome, (byOutcome.get(result.outcome) ?? 0) + 1);
    for (const [outcome, count] of byOutcome) {
      const single = this.metrics.singleMetric();
      single.addDimension('outcome', outcome);
      single.addMetric('ContainmentSteps', MetricUnit.Count, count);
    }
  }

  private stored = false;

  contained(msFromEvent: number): void {
    this.metrics.addMetric('TimeFromEventToContainment', MetricUnit.Milliseconds, Math.max(0, msFromEvent));
    this.stored = true;
  }

  flush(): void {
    // Single metrics went out as they were counted; only the stored ones wait (and none: nothing to send).
    if (!this.stored) return;
    this.metrics.publishStoredMetrics();
    this.stored = false;
  }
}
