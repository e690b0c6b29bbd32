import { documentClient } from '../aws/clients';
import { DynamoDbIncidentStore } from '../aws/dynamodb-incident-store';
import type { RekeyWorkflow } from '../approvals/ports';
import type { Config } from '../config';
import type { RekeyDeps } from '../rekey/step';
import { approvalDeps } from './approvals';
import { rekeyDeps } from './rekey';

/**
 * The local demo's composition (src/local/demo.ts plays the story): the deployed functions' own roots, over the
 * emulator's resources, with re-keying run by the local workflow interpreter in place of Step Functions.
 */

/** The incidents the responders record, read from the stack's table. */
export const demoIncidentStore = (incidentTable: string) => new DynamoDbIncidentStore(documentClient(), incidentTable);

/** The re-key steps, as the deployed step function builds them. */
export const demoRekeyDeps = (config: Config): RekeyDeps => rekeyDeps(config);

/**
 * The approval endpoint's deps, carrying decisions out in process and starting re-keying with `rekey` (the local
 * workflow), with the incident store the demo reads.
 */
export const demoApprovalDeps = (config: Config, rekey: RekeyWorkflow) => ({
  ...approvalDeps(config, rekey),
  incidents: demoIncidentStore(config.incidentTable),
});
export type DemoApprovalDeps = ReturnType<typeof demoApprovalDeps>;

/** The tags the EBS re-encrypter puts on snapshots: the demo's stand-in person finds the copies to cut over to. */
export { rekeyOfTag, snapshotForRekeyOfTag } from '../aws/rekey/ebs';
