import type { ResponseMetrics } from './response-metrics';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ActionDeps } from '../actions/action';
import type { KeyOperations } from '../actions/ports';
import type { OrganizationDirectory } from '../organization/directory';
import type { DetectionSettings } from '../detections';
import type { IncidentStore } from '../incidents/incident-store';
import type { NewsDeps } from '../notify/tell-news';
import type { CircuitBreaker } from '../policy/circuit-breaker';
import type { KeyMode } from '../policy/key-facts';
import type { DetectionMemoryStore } from '../state/detection-memory';
import type { KeyPolicyJournal, KeySettingsJournal, KeyStateJournal } from '../state/key-journal';

/** CloudTrail's event history of what an access key did (src/aws/cloudtrail-key-usage). */
export interface KeyUsageHistory {
  /** The ARNs of the KMS keys the access key used between the two times. */
  keysUsedBy(accessKeyId: string, since: Date, until: Date): Promise<string[]>;
}

export interface ResponderSettings extends DetectionSettings {
  /** kms-warden's own role ARNs: their calls are its own, and they are never contained. */
  responderRoles: readonly string[];
  /** Break-glass principals (breakGlassPrincipals): offered to a person, never contained automatically. */
  breakGlass?: readonly string[];
  /** The account kms-warden runs in, when the stack says (ACCOUNT_ID). */
  accountId?: string | undefined;
  unknownPriorKeyState: 'Enabled' | 'Disabled';
  /** The mode of keys without a kms-warden:mode tag. */
  defaultMode: KeyMode;
  /** Keys never disabled automatically, besides those tagged kms-warden:protected=true. */
  protectedKeys: readonly string[];
  /** Plan, record and notify; apply nothing. */
  dryRun: boolean;
  disableKeysPerHour: number;
  /** RevokeGrant calls started per second. */
  revokesPerSecond: number;
  /** Organization mode, as read for this batch or finding (src/respond/organization.ts): accounts by id, with names. */
  organization?: { accounts: ReadonlyMap<string, string>; memberRoleArn: (account: string) => string };
}

/** Asks for the list of what re-keying an incident's key would do, made elsewhere (handlers/plan-rekey.ts). */
export interface RekeyPlanner {
  request(incidentId: string): Promise<void>;
}

export interface ResponderDeps extends ActionDeps, NewsDeps {
  /** What the actions call, and the key's aliases: messages name a key by what its owners call it. */
  kms: KeyOperations & { aliases(keyArn: string): Promise<string[]> };
  incidents: IncidentStore;
  keyStates: KeyStateJournal;
  /** CloudTrail's event history of what an access key did; absent where it cannot be read (the local emulator). */
  keyUsage?: KeyUsageHistory;
  keyPolicies: KeyPolicyJournal;
  /** kms-warden:* tag changes: by key administrators (trusted), and by anyone else. */
  keySettings: { administrators: KeySettingsJournal; others: KeySettingsJournal };
  breaker: CircuitBreaker;
  memory: DetectionMemoryStore;
  logger: Logger;
  settings: ResponderSettings;
  now: () => Date;
  /** Signals, steps and time to containment, for dashboards and alarms; absent, nothing is counted. */
  metrics?: ResponseMetrics;
  /** Organization mode: the organization's accounts, and the role kms-warden acts through in them. */
  organization?: { directory: OrganizationDirectory; memberRoleArn: (account: string) => string };
  /** Asked once an incident asks people to approve re-keying; absent (the CLI, the demo), no plan is made. */
  rekeyPlanner?: RekeyPlanner;
}

export type Outcome =
  | { status: 'ignored'; reason: string }
  | { status: 'responded'; incidents: Array<{ id: string; status: string; duplicate: boolean }> };
