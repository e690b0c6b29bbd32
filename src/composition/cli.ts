import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { AccountSetup } from '../aws/account-setup';
import { clientSettings, cloudTrailClient, documentClient, kmsClients, perRegion, sfnClient } from '../aws/clients';
import { CloudTrailKeyUsage } from '../aws/cloudtrail-key-usage';
import { DynamoDbIncidentStore } from '../aws/dynamodb-incident-store';
import { KeyReplacement } from '../aws/rekey/kms-replacement';
import { StepFunctionsRekeyWorkflow } from '../aws/step-functions-rekey';
import type { Config, IncidentTableConfig } from '../config';
import { ConfigError } from '../errors';
import type { IncidentStore } from '../incidents/incident-store';
import { respondToKmsApiCalls } from '../respond/respond-to-kms-api-call';
import { respondToSecurityFinding } from '../respond/respond-to-security-finding';
import { responderDeps } from './responder';

/**
 * The CLI's composition root: what its commands build, each only when it runs (the CLI loads a command's code
 * when it is used). Commands that only read need only what they read.
 */

/**
 * The Region a command works in: --region (main puts it in AWS_REGION), else the profile's, as the SDK resolves it.
 * No silent default: a key looked for in the wrong Region is "not found", which says nothing about the mistake.
 */
export const cliRegion = async (): Promise<string> => {
  try {
    return await new KMSClient({}).config.region();
  } catch {
    const profile = process.env.AWS_PROFILE;
    throw new ConfigError(
      'AWS_REGION',
      `is not set, and no Region comes from ${profile ? `profile ${profile} (does it exist?)` : 'the default profile'}`,
    );
  }
};

/** The incident table, to read: `incidents list|show` and `rekey status` need nothing else. */
export const incidentReader = (config: IncidentTableConfig): IncidentStore =>
  new DynamoDbIncidentStore(documentClient(), config.incidentTable, config.incidentRetentionDays);

/** KMS as re-keying reads it: resolving a key by id or alias, and its snapshot. */
export const keyReader = () => new KeyReplacement(kmsClients());

/** The deployed re-key workflow. */
export const rekeyStateMachine = (stateMachineArn: string) =>
  new StepFunctionsRekeyWorkflow(sfnClient(), stateMachineArn);

/** The account checks of `doctor`, in one Region. */
export const accountSetup = (region: string) =>
  new AccountSetup(
    {
      cloudTrail: perRegion((config) => new CloudTrailClient(config)),
      events: perRegion((config) => new EventBridgeClient(config)),
      kms: kmsClients(),
    },
    region,
  );

/**
 * What the handlers build at cold start (handlers/on-kms-api-call.ts, handlers/on-security-finding.ts), for `handle
 * --yes`.
 */
export const cliResponders = (config: Config) => {
  const { deps: built } = responderDeps(config);
  // The responders log for CloudWatch on stdout, which here carries the results: only warnings and errors show
  // (on stderr), unless debug logging was asked for.
  const deps =
    built.logger.getLevelName() === 'INFO'
      ? { ...built, logger: built.logger.createChild({ logLevel: 'WARN' }) }
      : built;
  // As in the findings function, the only one that asks CloudTrail which keys a leaked credential used.
  const findingDeps = config.cloudTrailLookup
    ? { ...deps, keyUsage: new CloudTrailKeyUsage(cloudTrailClient()) }
    : deps;
  return { kmsApiCalls: respondToKmsApiCalls(deps), securityFinding: respondToSecurityFinding(findingDeps) };
};

export type { ExpectedRule, SetupCheck } from '../aws/account-setup';
export { operatorDecisionDeps } from './approvals';
export { reEncrypters, rekeyDeps } from './rekey';
export { responderDeps } from './responder';

/** `kms-warden doctor --organization`: the organization, the member StackSet, the organization bus and trail. */
export const organizationSetup = async (
  region: string,
  options: { stage: string; regions: readonly string[]; stackSetName: string; callAs: 'SELF' | 'DELEGATED_ADMIN' },
) => {
  const [{ OrganizationSetup }, { CloudFormationClient }, { OrganizationsClient }] = await Promise.all([
    import('../aws/organization-setup'),
    import('@aws-sdk/client-cloudformation'),
    import('@aws-sdk/client-organizations'),
  ]);
  const settings = { ...clientSettings(), region };
  return new OrganizationSetup(
    {
      organizations: new OrganizationsClient(settings),
      cloudFormation: new CloudFormationClient(settings),
      events: new EventBridgeClient(settings),
      cloudTrail: new CloudTrailClient(settings),
    },
    { ...options, region },
  );
};
