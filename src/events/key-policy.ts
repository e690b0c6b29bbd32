/** Reading key policies as CloudTrail records them: a JSON string (or, after some pipelines, an object). */

/** A condition that admits only callers with one of `values` for `key` (lower case, as IAM compares keys). */
export interface CallerLimit {
  key: string;
  operator: string;
  values: string[];
}

export interface PolicyStatement {
  sid: string | undefined;
  effect: string;
  /** The principals the Principal element names; none for a NotPrincipal statement, whose names are exceptions. */
  principals: string[];
  /** The principals a NotPrincipal element leaves out. */
  exceptPrincipals: string[];
  /** Principal "*" or {"AWS": "*"}, or a NotPrincipal (everyone but those named): anyone, in any account. */
  anyone: boolean;
  actions: string[];
  conditionKeys: string[];
  /** The conditions that tie the statement to known callers; none: its conditions, if any, admit any caller. */
  callerLimits: CallerLimit[];
}

const list = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)];

/**
 * Condition keys that can tie a statement to known callers. kms:ViaService is not one: it names the service a request
 * comes through, and any account's principals can use the key through that service
 * (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
 */
export const callerLimitingConditionKeys = [
  'aws:principalorgid',
  'aws:principalorgpaths',
  'aws:principalaccount',
  'aws:principalarn',
  'aws:sourceaccount',
  'aws:sourcearn',
  'aws:sourceorgid',
  'aws:sourceorgpaths',
  'aws:sourcevpc',
  'aws:sourcevpce',
  'aws:userid',
  'kms:calleraccount',
];

// Only operators that admit the listed values limit: StringNotEquals, ArnNotLike... admit every other caller, Null and
// Bool name none (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
const admittingOperators = new Set(['stringequals', 'stringequalsignorecase', 'stringlike', 'arnequals', 'arnlike']);
// Operators whose values are patterns: ArnEquals matches exactly as ArnLike does (same page).
const patternOperators = new Set(['stringlike', 'arnequals', 'arnlike']);
// Keys every signed request for a key carries (their Availability; kms:CallerAccount: every key operation).
const alwaysPresentKeys = new Set(['kms:calleraccount', 'aws:principalaccount', 'aws:principalarn', 'aws:userid']);
const accountKeys = new Set(['kms:calleraccount', 'aws:principalaccount', 'aws:sourceaccount']);
const arnKeys = new Set(['aws:principalarn', 'aws:sourcearn']);
const accountId = /^\d{12}$/;

/** The part of a value that names the caller's account, organisation or identity: a wildcard there admits strangers. */
const identifyingPart = (key: string, value: string): string => {
  if (arnKeys.has(key)) {
    const fields = value.split(':');
    // An ARN with an account names its account up to that field; one without (an S3 bucket) names itself whole.
    return fields[4] ? fields.slice(0, 5).join(':') : value;
  }
  if (key.endsWith('orgpaths')) return value.split('/')[0]!;
  if (key === 'aws:userid') return value.split(':')[0]!;
  return value;
};

const callerLimitOf = (operator: string, key: string, value: unknown): CallerLimit | undefined => {
  const name = key.toLowerCase();
  const qualified = operator.toLowerCase();
  const base = qualified.replace(/^(forallvalues|foranyvalue):/, '').replace(/ifexists$/, '');
  if (!callerLimitingConditionKeys.includes(name) || !admittingOperators.has(base)) return undefined;
  // ...IfExists and ForAllValues: also match a request without the key, so they limit only on keys always present:
  // StringEqualsIfExists on kms:CallerAccount still limits, on aws:PrincipalOrgID it admits principals in no
  // organisation (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
  const matchesWithoutKey = qualified.endsWith('ifexists') || qualified.startsWith('forallvalues:');
  if (matchesWithoutKey && !alwaysPresentKeys.has(name)) return undefined;
  const values = list(value);
  if (values.length === 0) return undefined;
  // "*" in an account, organisation or identity matches any one
  // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
  if (patternOperators.has(base) && values.some((v) => /[*?]/.test(identifyingPart(name, v)))) return undefined;
  return { key: name, operator, values };
};

/** The accounts a limit admits when it names them (account keys, ARNs with an account); undefined when it does not. */
const accountsNamedBy = ({ key, values }: CallerLimit): string[] | undefined => {
  if (accountKeys.has(key)) return values.filter((v) => accountId.test(v));
  if (!arnKeys.has(key)) return undefined;
  const accounts = values.map((v) => v.split(':')[4] ?? '');
  return accounts.every(Boolean) ? accounts.filter((a) => accountId.test(a)) : undefined;
};

/**
 * Whom a statement's conditions admit, whatever its Principal: anyone (no caller limit), callers of the listed accounts
 * only (kms:CallerAccount, aws:PrincipalAccount, aws:PrincipalArn... naming accounts; possibly none), or callers
 * limited otherwise (an organisation, a VPC endpoint, principal ids), which name no single account.
 */
export type AdmittedCallers = { kind: 'anyone' } | { kind: 'accounts'; accounts: string[] } | { kind: 'limited' };

export const admittedCallers = ({ callerLimits }: Pick<PolicyStatement, 'callerLimits'>): AdmittedCallers => {
  if (callerLimits.length === 0) return { kind: 'anyone' };
  const named = callerLimits.map(accountsNamedBy).filter((accounts): accounts is string[] => accounts !== undefined);
  if (named.length === 0) return { kind: 'limited' };
  // Every condition must hold: only the accounts each account-naming condition admits.
  const [first, ...rest] = named;
  return {
    kind: 'accounts',
    accounts: [...new Set(first!.filter((account) => rest.every((accounts) => accounts.includes(account))))],
  };
};

const namedIn = (element: unknown): string[] =>
  element === '*'
    ? ['*']
    : element && typeof element === 'object'
      ? Object.values(element as Record<string, unknown>).flatMap(list)
      : [];

const everyoneIn = (element: unknown): boolean =>
  element === '*' ||
  (!!element && typeof element === 'object' && list((element as { AWS?: unknown }).AWS).includes('*'));

/** One statement of a key policy, as written (a key policy's Statement entry). */
export const readStatement = (entry: Record<string, unknown>): PolicyStatement => {
  const conditions = (entry.Condition && typeof entry.Condition === 'object' ? entry.Condition : {}) as Record<
    string,
    Record<string, unknown> | undefined
  >;
  const blocks = Object.entries(conditions).map(
    ([operator, block]) => [operator, Object.entries(block && typeof block === 'object' ? block : {})] as const,
  );
  // Allow with NotPrincipal allows everyone except those named, anonymous users included
  // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
  const notPrincipal = entry.NotPrincipal !== undefined;
  return {
    sid: typeof entry.Sid === 'string' ? entry.Sid : undefined,
    effect: String(entry.Effect ?? ''),
    principals: notPrincipal ? [] : namedIn(entry.Principal),
    exceptPrincipals: namedIn(entry.NotPrincipal),
    anyone: notPrincipal ? !everyoneIn(entry.NotPrincipal) : everyoneIn(entry.Principal),
    actions: list(entry.Action),
    conditionKeys: blocks.flatMap(([, keys]) => keys.map(([key]) => key.toLowerCase())),
    callerLimits: blocks.flatMap(([operator, keys]) =>
      keys.flatMap(([key, value]) => callerLimitOf(operator, key, value) ?? []),
    ),
  };
};

export const parsePolicy = (policy: unknown): PolicyStatement[] | undefined => {
  let document: unknown = policy;
  if (typeof policy === 'string') {
    try {
      document = JSON.parse(policy);
    } catch {
      return undefined;
    }
  }
  if (!document || typeof document !== 'object') return undefined;
  const raw = (document as { Statement?: unknown }).Statement;
  const entries = Array.isArray(raw) ? raw : raw ? [raw] : [];
  return entries
    .filter((entry): entry is Record<string, unknown> => !!entry && typeof entry === 'object')
    .map(readStatement);
};

export const policyOf = (requestParameters: Record<string, unknown>): PolicyStatement[] | undefined =>
  requestParameters.policy === undefined ? undefined : parsePolicy(requestParameters.policy);
