/**
 * Every rule file, the state its rule needs, and the function it feeds: what serverless.yml deploys (the stack test
 * checks the template against this table), and what the local demo puts into the emulator's EventBridge.
 */
export const ruleTargets: ReadonlyArray<{
  file: string;
  state: 'ENABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
  fn: 'onKmsApiCall' | 'onKmsActivity' | 'onSecurityFinding';
}> = [
  { file: 'kms-key-lifecycle.json', state: 'ENABLED', fn: 'onKmsApiCall' },
  { file: 'kms-key-activity.json', state: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS', fn: 'onKmsActivity' },
  { file: 's3-object-kms-key.json', state: 'ENABLED', fn: 'onKmsActivity' },
  { file: 'guardduty-credential-findings.json', state: 'ENABLED', fn: 'onSecurityFinding' },
  { file: 'config-kms-compliance.json', state: 'ENABLED', fn: 'onSecurityFinding' },
];
