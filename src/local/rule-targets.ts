/**
 * Every rule file, the state its rule needs, and the function it feeds: what serverless.yml deploys (the stack test
 * checks the template against this table), and what the local demo puts into the emulator's EventBridge. The
 * activity function's rules feed the activity stream, which it reads in batches: kms-key-activity.json as one rule
 * per partition (rules/activity-stream.cjs), s3-object-kms-key.json as one spread by event id.
 */
export const ruleTargets: ReadonlyArray<{
  file: string;
  state: 'ENABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
  fn: 'onKmsApiCall' | 'onKmsActivity' | 'onSecurityFinding';
  /**
   * Through the activity stream rather than straight to the function: partitioned by principal (one rule per way of
   * naming it, rules/activity-stream.cjs), or spread by event id.
   */
  stream?: 'by-principal' | 'by-event';
}> = [
  { file: 'kms-key-lifecycle.json', state: 'ENABLED', fn: 'onKmsApiCall' },
  {
    file: 'kms-key-activity.json',
    state: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
    fn: 'onKmsActivity',
    stream: 'by-principal',
  },
  { file: 's3-object-kms-key.json', state: 'ENABLED', fn: 'onKmsActivity', stream: 'by-event' },
  { file: 'guardduty-credential-findings.json', state: 'ENABLED', fn: 'onSecurityFinding' },
  { file: 'config-kms-compliance.json', state: 'ENABLED', fn: 'onSecurityFinding' },
];

/** A rule as deployed: its pattern, and for the activity stream the partition key's path (none: the event id). */
export interface DeployedRule {
  file: string;
  state: (typeof ruleTargets)[number]['state'];
  fn: (typeof ruleTargets)[number]['fn'];
  name: string;
  pattern: Record<string, unknown>;
  stream?: { partitionKeyPath?: string };
}

interface ActivityPartition {
  name: string;
  pattern: Record<string, unknown>;
  partitionKeyPath?: string;
}

/**
 * The by-principal rule's events (kms-key-activity.json), split by how the caller is named: rules/activity-stream.cjs,
 * which serverless.yml reads too.
 */
export const activityPartitions =
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS module serverless.yml reads too
  (require('../../rules/activity-stream.cjs') as { activityPartitions: ActivityPartition[] }).activityPartitions;

/** Every rule the stack deploys from rules/, as the table above says. */
export const deployedRules = (readPattern: (file: string) => Record<string, unknown>): DeployedRule[] =>
  ruleTargets.flatMap(({ file, state, fn, stream }) => {
    const base = file.replace('.json', '');
    if (!stream) return [{ file, state, fn, name: base, pattern: readPattern(file) }];
    if (file !== 'kms-key-activity.json')
      return [{ file, state, fn, name: base, pattern: readPattern(file), stream: {} }];
    return activityPartitions.map((partition) => ({
      file,
      state,
      fn,
      name: `${base}-${partition.name}`,
      pattern: partition.pattern,
      stream: partition.partitionKeyPath ? { partitionKeyPath: partition.partitionKeyPath } : {},
    }));
  });
