import type { Emulator } from './emulator';
import type { Caller, PolicyDocument } from './policy-evaluation';

/**
 * Who signs requests in the tests, by access key id:
 * - admin: the test itself (fixtures, assertions, the people and attackers a scenario plays), an IAM user allowed
 *   everything by IAM; KMS key policies still apply to it, as they would to an account administrator.
 * - function: a function's code, with a session of its role, built from the packaged template. moto's own IAM
 *   enforcement checks it by action; the layer checks resources, conditions and key policies with the template's
 *   policies.
 * - principal: a role session or a user the scenario plays (an attacker, a stolen credential). moto knows it as a
 *   stand-in user allowed everything; the layer evaluates the real role's or user's policies as stored in the
 *   emulator, with the session's issue time, and refuses a user's deactivated access key.
 */
export type Identity =
  | { kind: 'admin'; caller: Caller }
  | { kind: 'function'; caller: Caller; functionName: string; policies: PolicyDocument[] }
  | { kind: 'principal'; caller: Caller; roleName?: string; user?: { name: string; accessKeyId: string } };

export const everything: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

/**
 * The identities the layer knows, and their identity-based policies, read from the emulator and kept until IAM changes.
 */
export class Identities {
  private readonly byKey = new Map<string, Identity>();
  private readonly policyCache = new Map<string, Promise<PolicyDocument[]>>();

  /** `emulatorOf`: the emulator's view of an account, where a principal's policies are stored. */
  constructor(private readonly emulatorOf: (account: string) => Emulator) {}

  add(accessKeyId: string, identity: Identity) {
    this.byKey.set(accessKeyId, identity);
  }

  get(accessKeyId: string | undefined): Identity | undefined {
    return accessKeyId ? this.byKey.get(accessKeyId) : undefined;
  }

  /** Any change to IAM (a quarantine policy put, removed) is seen by the next request. */
  forgetPolicies() {
    this.policyCache.clear();
  }

  policiesOf(identity: Identity): Promise<PolicyDocument[]> {
    if (identity.kind === 'admin') return Promise.resolve([everything]);
    if (identity.kind === 'function') return Promise.resolve(identity.policies);
    const [kind, name] = identity.user
      ? (['user', identity.user.name] as const)
      : (['role', identity.roleName!] as const);
    const cacheKey = `${identity.caller.account}/${kind}/${name}`;
    let policies = this.policyCache.get(cacheKey);
    if (!policies) {
      policies = this.emulatorOf(identity.caller.account).identityPolicies(kind, name);
      this.policyCache.set(cacheKey, policies);
      policies.catch(() => this.policyCache.delete(cacheKey));
    }
    return policies;
  }
}
