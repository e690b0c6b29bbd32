/**
 * Named errors. Adapters translate the AWS errors they understand into these (keeping the original as `cause`)
 * and rethrow everything else unchanged.
 */

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** Every setting at fault, the first one also as `variable`. */
  readonly problems: ReadonlyArray<{ variable: string; problem: string }>;
  constructor(
    readonly variable: string,
    problem: string,
    more: ReadonlyArray<{ variable: string; problem: string }> = [],
  ) {
    super([`${variable}: ${problem}`, ...more.map((p) => `${p.variable}: ${p.problem}`)].join('; '));
    this.problems = [{ variable, problem }, ...more];
  }

  /** One error for several settings at fault: a person fixes them all in one go, not one per run. */
  static all(problems: ReadonlyArray<{ variable: string; problem: string }>): ConfigError {
    const [first, ...more] = problems;
    return new ConfigError(first?.variable ?? 'environment', first?.problem ?? 'is not valid', more);
  }
}

/** The input is not an event this function can handle. Retrying cannot help, so it is dead-lettered, not thrown. */
export class MalformedEventError extends Error {
  override readonly name = 'MalformedEventError';
  constructor(
    readonly problems: string[],
    options?: ErrorOptions,
  ) {
    super(`malformed event: ${problems.join('; ')}`, options);
  }
}

export class KeyNotFoundError extends Error {
  override readonly name = 'KeyNotFoundError';
  constructor(
    readonly keyArn: string,
    options?: ErrorOptions,
  ) {
    super(`KMS key not found: ${keyArn}`, options);
  }
}

/** KMS refused the call because of the key's state (KMSInvalidStateException). */
export class KeyStateConflictError extends Error {
  override readonly name = 'KeyStateConflictError';
  constructor(
    readonly keyArn: string,
    readonly operation: string,
    options?: ErrorOptions,
  ) {
    super(`${operation} refused for ${keyArn}: the key is not in a state that allows it`, options);
  }
}

/** A conditional write lost: someone else moved the record first. Carries the winner's state. */
export class StateConflictError<T> extends Error {
  override readonly name = 'StateConflictError';
  constructor(
    readonly id: string,
    readonly current: T | undefined,
    options?: ErrorOptions,
  ) {
    super(`state of ${id} changed concurrently`, options);
  }
}

/** A replay input file that cannot be opened or decompressed. */
export class UnreadableFileError extends Error {
  override readonly name = 'UnreadableFileError';
  constructor(
    readonly file: string,
    options?: ErrorOptions,
  ) {
    super(`cannot read ${file}: ${(options?.cause as Error | undefined)?.message ?? 'unknown error'}`, options);
  }
}

export class PrincipalNotFoundError extends Error {
  override readonly name = 'PrincipalNotFoundError';
  constructor(
    readonly principal: string,
    options?: ErrorOptions,
  ) {
    super(`IAM principal not found: ${principal}`, options);
  }
}

/** IAM refused an inline policy because the principal's inline policies would pass IAM's size limit (LimitExceeded). */
export class InlinePolicyLimitError extends Error {
  override readonly name = 'InlinePolicyLimitError';
  constructor(
    readonly principal: string,
    options?: ErrorOptions,
  ) {
    super(`the inline policies of ${principal} are at IAM's size limit`, options);
  }
}

/** Another function held the key policy's lease for longer than a writer waits: a retry will find it free. */
export class KeyPolicyBusyError extends Error {
  override readonly name = 'KeyPolicyBusyError';
  constructor(
    readonly keyArn: string,
    options?: ErrorOptions,
  ) {
    super(`the policy of ${keyArn} is being changed by another kms-warden function: try again`, options);
  }
}

/*
 * Errors the re-key workflow's state machine acts on by name (src/rekey/rekey-workflow.asl.json, ErrorEquals): each
 * `name` is what the definition expects, and a step throws the class, never an Error renamed on the spot.
 */

/** A re-key step was handed an input its schema refuses: retrying cannot help, so the workflow does not retry it. */
export class MalformedRekeyStepInputError extends Error {
  override readonly name = 'MalformedRekeyStepInput';
  constructor(
    readonly step: string,
    readonly problems: string[],
    options?: ErrorOptions,
  ) {
    super(`malformed input for re-key step ${step}: ${problems.join('; ')}`, options);
  }
}

/** The old key's policy lets in principals a person must confirm before it is copied: the run stops until they do. */
export class ForeignPrincipalsInPolicyError extends Error {
  override readonly name = 'ForeignPrincipalsInPolicy';
  constructor(
    readonly keyArn: string,
    readonly principals: string[],
    options?: ErrorOptions,
  ) {
    super(
      `the old key's policy lets in ${principals.join(', ')}: a person must confirm before it is copied to the replacement`,
      options,
    );
  }
}

/**
 * The old key cannot be replaced like for like by re-keying (imported key material, a CloudHSM or external key store):
 * a plain AWS_KMS key would be a silent downgrade. The run stops with a plan for a person.
 */
export class KeyNotReplaceableError extends Error {
  override readonly name = 'KeyNotReplaceable';
  constructor(
    readonly keyArn: string,
    readonly reasons: string[],
    options?: ErrorOptions,
  ) {
    super(`${keyArn} cannot be replaced like for like by re-keying: ${reasons.join('; ')}`, options);
  }
}

/** Verified once, but not any more when the deletion is to be scheduled: the workflow waits and verifies again. */
export class VerificationNoLongerHoldsError extends Error {
  override readonly name = 'VerificationNoLongerHolds';
  constructor(
    readonly keyArn: string,
    readonly verification: unknown,
    options?: ErrorOptions,
  ) {
    super(`verification of ${keyArn} no longer holds: ${JSON.stringify(verification)}`, options);
  }
}

/** Every error the re-key workflow's definition names in its Retry or Catch. */
export const rekeyWorkflowErrors = [
  MalformedRekeyStepInputError,
  ForeignPrincipalsInPolicyError,
  KeyNotReplaceableError,
  VerificationNoLongerHoldsError,
] as const;

/**
 * STS refused a session of the member role in an account of the organization: the role is not there (the member
 * StackSet has not been deployed to it), or its trust policy does not admit this function. A person must fix it.
 */
export class MemberRoleRefusedError extends Error {
  override readonly name = 'MemberRoleRefusedError';
  constructor(
    readonly account: string,
    readonly roleArn: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(
      code === 'RegionDisabledException'
        ? `STS is not activated in this Region for account ${account}: activate the Region's STS endpoint in its IAM account settings`
        : `account ${account} refused kms-warden its member role ${roleArn}: deploy the member StackSet to the account (kms-warden doctor --organization), and check the role trusts this function's role with the organization's external id`,
      options,
    );
  }
}

/** kms-warden was asked to act in an account that is not in its organization: it never assumes a role there. */
export class NotAnOrganizationAccountError extends Error {
  override readonly name = 'NotAnOrganizationAccountError';
  constructor(
    readonly account: string,
    options?: ErrorOptions,
  ) {
    super(
      `account ${account} is not in the organization: kms-warden acts only in the organization's accounts (an outsider's key or principal is denied where kms-warden can act, and its owners are asked to deal with it)`,
      options,
    );
  }
}
