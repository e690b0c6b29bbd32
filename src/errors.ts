/**
 * Named errors. Adapters translate the AWS errors they understand into these (keeping the original as `cause`)
 * and rethrow everything else unchanged.
 */

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly variable: string, problem: string) {
    super(`${variable}: ${problem}`);
  }
}

/** The input is not an event this function can handle. Retrying cannot help, so it is dead-lettered, not thrown. */
export class MalformedEventError extends Error {
  override readonly name = 'MalformedEventError';
  constructor(readonly problems: string[], options?: ErrorOptions) {
    super(`malformed event: ${problems.join('; ')}`, options);
  }
}

export class KeyNotFoundError extends Error {
  override readonly name = 'KeyNotFoundError';
  constructor(readonly keyArn: string, options?: ErrorOptions) {
    super(`KMS key not found: ${keyArn}`, options);
  }
}

/** KMS refused the call because of the key's state (KMSInvalidStateException). */
export class KeyStateConflictError extends Error {
  override readonly name = 'KeyStateConflictError';
  constructor(readonly keyArn: string, readonly operation: string, options?: ErrorOptions) {
    super(`${operation} refused for ${keyArn}: the key is not in a state that allows it`, options);
  }
}

/** A conditional write lost: someone else moved the record first. Carries the winner's state. */
export class StateConflictError<T> extends Error {
  override readonly name = 'StateConflictError';
  constructor(readonly id: string, readonly current: T | undefined, options?: ErrorOptions) {
    super(`state of ${id} changed concurrently`, options);
  }
}

/** Detection memory was changed by another invocation between reading and writing it. */
export class MemoryConflictError extends Error {
  override readonly name = 'MemoryConflictError';
  constructor(readonly entry: string, options?: ErrorOptions) {
    super(`detection memory entry ${entry} changed concurrently`, options);
  }
}

/** A replay input file that cannot be opened or decompressed. */
export class UnreadableFileError extends Error {
  override readonly name = 'UnreadableFileError';
  constructor(readonly file: string, options?: ErrorOptions) {
    super(`cannot read ${file}: ${(options?.cause as Error | undefined)?.message ?? 'unknown error'}`, options);
  }
}

export class PrincipalNotFoundError extends Error {
  override readonly name = 'PrincipalNotFoundError';
  constructor(readonly principal: string, options?: ErrorOptions) {
    super(`IAM principal not found: ${principal}`, options);
  }
}

/** IAM refused an inline policy because the principal's inline policies would pass IAM's size limit (LimitExceeded). */
export class InlinePolicyLimitError extends Error {
  override readonly name = 'InlinePolicyLimitError';
  constructor(readonly principal: string, options?: ErrorOptions) {
    super(`the inline policies of ${principal} are at IAM's size limit`, options);
  }
}

/** Another function held the key policy's lease for longer than a writer waits: a retry will find it free. */
export class KeyPolicyBusyError extends Error {
  override readonly name = 'KeyPolicyBusyError';
  constructor(readonly keyArn: string, options?: ErrorOptions) {
    super(`the policy of ${keyArn} is being changed by another kms-warden function: try again`, options);
  }
}
