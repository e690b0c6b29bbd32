import type { AwsCall, Refusal } from '../aws-call';
import type { Emulator } from '../emulator';
import type { Identity } from '../identities';
import type { PolicyDocument } from '../policy-evaluation';
import type { OrganizationFacts } from '../proxy';

/** What the emulator answered, as the client will receive it (a rule may change it). */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** State AWS keeps that moto does not: the layer remembers it and shows it in the answers. */
export interface KeyOverlay {
  /** PendingReplicaDeletion, where moto says PendingDeletion. */
  state?: 'PendingReplicaDeletion';
  /** A key made in a custom key store: moto drops CustomKeyStoreId. */
  customKeyStoreId?: string;
  origin?: 'AWS_CLOUDHSM' | 'EXTERNAL_KEY_STORE';
}

export class Overlay {
  readonly keys = new Map<string, KeyOverlay>();
  /** Keys found behind an alias/aws/* alias: AWS managed (an AWS managed key stays one). */
  readonly awsManagedKeys = new Set<string>();

  key(keyArn: string): KeyOverlay {
    let overlay = this.keys.get(keyArn);
    if (!overlay) this.keys.set(keyArn, (overlay = {}));
    return overlay;
  }
}

export interface RuleContext {
  call: AwsCall;
  identity: Identity;
  /** The caller's identity-based policies, as IAM would evaluate them. */
  policies(): Promise<PolicyDocument[]>;
  /** The emulator's view of the caller's account. */
  emulator: Emulator;
  /** The emulator's view of another account the test made; undefined for an account nobody made. */
  emulatorOf(account: string): Emulator | undefined;
  /** The organization the test made, if any. */
  organization: OrganizationFacts | undefined;
  /** Roles whose sessions are evaluated with these policies (moto holds their projection). */
  rolePolicies: ReadonlyMap<string, PolicyDocument[]>;
  /** Makes the layer know the credentials an answer issued (a role session) as this identity. */
  remember(accessKeyId: string, identity: Identity): void;
  overlay: Overlay;
  /** The key the call names (KeyId, resolved through aliases), as an ARN; undefined when none or unknown. */
  keyArn(): Promise<string | undefined>;
}

/**
 * One documented behaviour of AWS that moto lacks. `refuse` runs before the request reaches moto and answers in the
 * service's own error shape; `answer` runs after, to show state moto does not keep. Each rule cites where AWS
 * documents the behaviour; the README lists every rule (a test keeps the two in step).
 */
export interface StrictRule {
  id: string;
  says: string;
  docs: readonly string[];
  /** 'service:Operation' entries the rule looks at. */
  operations: readonly string[];
  refuse?(context: RuleContext): Promise<Refusal | undefined>;
  answer?(context: RuleContext, answer: Answer): Promise<Answer>;
}

export const jsonAnswer = (answer: Answer): Record<string, unknown> | undefined => {
  if (answer.status >= 300) return undefined;
  try {
    return JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

export const withJson = (answer: Answer, body: unknown): Answer => ({
  ...answer,
  body: Buffer.from(JSON.stringify(body)),
});
