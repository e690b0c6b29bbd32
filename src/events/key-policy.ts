/** Reading key policies as CloudTrail records them: a JSON string (or, after some pipelines, an object). */
import { isExternalAccount } from './accounts';

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
  /**
   * The conditions that tie the statement to known callers; none: its conditions, if any, admit any caller. In a
   * parsed policy an Allow's include what the Deny statements covering its actions spare (withDenyLimits).
   */
  callerLimits: CallerLimit[];
  /** A Deny for everyone whose one condition is a negated caller limit: the callers it spares. */
  spares: CallerLimit | undefined;
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
// What a Deny's negated operator spares: the callers its positive form admits.
const negatedOperators = new Map([
  ['stringnotequals', 'stringequals'],
  ['stringnotequalsignorecase', 'stringequalsignorecase'],
  ['stringnotlike', 'stringlike'],
  ['arnnotequals', 'arnequals'],
  ['arnnotlike', 'arnlike'],
]);
// Operators whose values are patterns: ArnEquals matches exactly as ArnLike does (same page).
const patternOperators = new Set(['stringlike', 'arnequals', 'arnlike']);
// Only kms:CallerAccount is in every request for a key: KMS sets it on every KMS key resource operation
// (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account).
const alwaysPresentKeys = new Set(['kms:calleraccount']);
const accountKeys = new Set(['kms:calleraccount', 'aws:principalaccount', 'aws:sourceaccount']);
const organizationKeys = new Set([
  'aws:principalorgid',
  'aws:principalorgpaths',
  'aws:sourceorgid',
  'aws:sourceorgpaths',
]);
const arnKeys = new Set(['aws:principalarn', 'aws:sourcearn']);
const accountId = /^\d{12}$/;
/** An AWS Organizations organization id (https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html). */
export const organizationIdPattern = /^o-[a-z0-9]{10,32}$/;

/** The part of a value that names the caller's account, organisation or identity: a wildcard there admits strangers. */
const identifyingPart = (key: string, operator: string, value: string): string => {
  if (arnKeys.has(key)) {
    const fields = value.split(':');
    if (fields.length < 6) return value;
    // ARN operators match each of the six fields apart, so only a wildcard in the account admits other accounts; a
    // string pattern's "*" spans colons, so any field up to the account may (same page, #Conditions_ARN).
    if (fields[4]) return operator.startsWith('arn') ? fields[4] : fields.slice(0, 5).join(':');
    // An ARN without an account (an S3 bucket) is named by its resource alone.
    return fields.slice(5).join(':');
  }
  if (key.endsWith('orgpaths')) return value.split('/')[0]!;
  if (key === 'aws:userid') return value.split(':')[0]!;
  return value;
};

/** A limit to the callers `base` (an admitting operator, bare) admits; none when a wildcard admits strangers. */
const limitOf = (base: string, operator: string, key: string, value: unknown): CallerLimit | undefined => {
  const values = list(value);
  if (values.length === 0) return undefined;
  // "*" in an account, organisation or identity matches any one
  // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
  if (patternOperators.has(base) && values.some((v) => /[*?]/.test(identifyingPart(key, base, v)))) return undefined;
  return { key, operator, values };
};

const callerLimitOf = (operator: string, key: string, value: unknown): CallerLimit | undefined => {
  const name = key.toLowerCase();
  const qualified = operator.toLowerCase();
  const base = qualified.replace(/^(forallvalues|foranyvalue):/, '').replace(/ifexists$/, '');
  if (!callerLimitingConditionKeys.includes(name) || !admittingOperators.has(base)) return undefined;
  // ...IfExists and ForAllValues: also match a request without the key, so they limit only on keys always present
  // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html):
  // StringEqualsIfExists on aws:PrincipalOrgID admits principals in no organisation; on the other principal keys, AWS
  // service principals, which AWS's data perimeter lets through apart with aws:PrincipalIsAWSService
  // (https://docs.aws.amazon.com/whitepapers/latest/building-a-data-perimeter-on-aws/perimeter-implementation.html).
  const matchesWithoutKey = qualified.endsWith('ifexists') || qualified.startsWith('forallvalues:');
  if (matchesWithoutKey && !alwaysPresentKeys.has(name)) return undefined;
  return limitOf(base, operator, name, value);
};

// The data perimeter's Deny leaves out AWS service principals acting on the key themselves, not other accounts'
// (https://docs.aws.amazon.com/whitepapers/latest/building-a-data-perimeter-on-aws/perimeter-implementation.html).
const sparesServicePrincipals = (operator: string, key: string, value: unknown) =>
  /^bool(ifexists)?$/i.test(operator) && key.toLowerCase() === 'aws:principalisawsservice' && String(value) === 'false';

/**
 * The callers a Deny for everyone spares when its one condition is a negated caller limit: Deny unless
 * aws:PrincipalOrgID is o-x spares o-x. A request without the key is denied too (negated operators and IfExists are
 * true without it: reference_policies_elements_condition_operators.html). Undefined: it spares no one known.
 */
const sparedBy = (conditions: ReadonlyArray<readonly [string, string, unknown]>): CallerLimit | undefined => {
  const limiting = conditions.filter(([operator, key, value]) => !sparesServicePrincipals(operator, key, value));
  if (limiting.length !== 1) return undefined;
  const [operator, key, value] = limiting[0]!;
  const positive = negatedOperators.get(operator.toLowerCase().replace(/ifexists$/, ''));
  const name = key.toLowerCase();
  if (!positive || !callerLimitingConditionKeys.includes(name)) return undefined;
  return limitOf(positive, operator, name, value);
};

/** The accounts a limit admits when it names them (account keys, ARNs with an account); undefined when it does not. */
const accountsNamedBy = ({ key, values }: CallerLimit): string[] | undefined => {
  if (accountKeys.has(key)) return values.filter((v) => accountId.test(v));
  if (!arnKeys.has(key)) return undefined;
  const accounts = values.map((v) => v.split(':')[4] ?? '');
  return accounts.every(Boolean) ? accounts.filter((a) => accountId.test(a)) : undefined;
};

/** The organisations a limit admits: an id, or the id a path starts with (o-x/r-y/ou-z/). */
const organizationsNamedBy = ({ key, values }: CallerLimit): string[] | undefined =>
  organizationKeys.has(key) ? values.map((v) => v.split('/')[0]!) : undefined;

/** What every one of several conditions admits: IAM ANDs condition keys. */
const inEvery = (lists: string[][]): string[] | undefined =>
  lists.length === 0 ? undefined : [...new Set(lists[0]!.filter((v) => lists.every((l) => l.includes(v))))];

/**
 * Whom a statement's conditions admit, whatever its Principal: anyone (no caller limit), or callers within what each
 * kind of condition names: accounts (kms:CallerAccount, aws:PrincipalAccount, aws:PrincipalArn... naming accounts;
 * possibly none), organisations (aws:PrincipalOrgID, aws:SourceOrgPaths...), and values kms-warden cannot tie to an
 * account (a VPC, a VPC endpoint, a principal id, an ARN without an account).
 */
export type AdmittedCallers =
  | { kind: 'anyone' }
  | {
      kind: 'limited';
      /** Undefined: no condition names accounts. */
      accounts: string[] | undefined;
      /** Undefined: no condition names organisations. */
      organizations: string[] | undefined;
      unverified: string[];
    };

export const admittedCallers = ({ callerLimits }: Pick<PolicyStatement, 'callerLimits'>): AdmittedCallers => {
  if (callerLimits.length === 0) return { kind: 'anyone' };
  const accounts = callerLimits.map(accountsNamedBy).filter((named): named is string[] => named !== undefined);
  const organizations = callerLimits.map(organizationsNamedBy).filter((named): named is string[] => !!named);
  const unverified = callerLimits
    .filter((limit) => !accountsNamedBy(limit) && !organizationsNamedBy(limit))
    .flatMap(({ values }) => values);
  return { kind: 'limited', accounts: inEvery(accounts), organizations: inEvery(organizations), unverified };
};

/** Whom kms-warden trusts besides the key's own account. */
export interface Trust {
  ownAccount: string | undefined;
  trustedAccounts: readonly string[];
  trustedOrganizations: readonly string[];
}

/** What a statement to everyone opens beyond the key's account and what is trusted. */
export type Opening =
  | { kind: 'anyone' }
  | { kind: 'accounts'; accounts: string[] }
  | { kind: 'organizations'; organizations: string[] }
  | { kind: 'unverified'; values: string[] };

/**
 * What a statement to everyone opens, judged as IAM ANDs its conditions: nothing when one of them keeps callers to the
 * key's own or trusted accounts, or to trusted organisations, whatever the others say; else the outside accounts, the
 * untrusted organisations, or the values that tie it to no account, in that order.
 */
export const openingOf = (statement: Pick<PolicyStatement, 'callerLimits'>, trust: Trust): Opening | undefined => {
  const admitted = admittedCallers(statement);
  if (admitted.kind === 'anyone') return admitted;
  const outside = admitted.accounts?.filter((a) => isExternalAccount(a, trust.ownAccount, trust.trustedAccounts));
  const untrusted = admitted.organizations?.filter((o) => !trust.trustedOrganizations.includes(o));
  if (outside?.length === 0 || untrusted?.length === 0) return undefined;
  if (outside) return { kind: 'accounts', accounts: outside };
  if (untrusted) return { kind: 'organizations', organizations: untrusted };
  return { kind: 'unverified', values: [...new Set(admitted.unverified)] };
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
  const entries = Object.entries(conditions).flatMap(([operator, block]) =>
    Object.entries(block && typeof block === 'object' ? block : {}).map(
      ([key, value]) => [operator, key, value] as const,
    ),
  );
  // Allow with NotPrincipal allows everyone except those named, anonymous users included
  // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
  const notPrincipal = entry.NotPrincipal !== undefined;
  const principals = notPrincipal ? [] : namedIn(entry.Principal);
  const effect = String(entry.Effect ?? '');
  return {
    sid: typeof entry.Sid === 'string' ? entry.Sid : undefined,
    effect,
    principals,
    exceptPrincipals: namedIn(entry.NotPrincipal),
    anyone: notPrincipal ? !everyoneIn(entry.NotPrincipal) : everyoneIn(entry.Principal),
    actions: list(entry.Action),
    conditionKeys: entries.map(([, key]) => key.toLowerCase()),
    callerLimits: entries.flatMap(([operator, key, value]) => callerLimitOf(operator, key, value) ?? []),
    spares: effect === 'Deny' && principals.includes('*') ? sparedBy(entries) : undefined,
  };
};

/** Whether a Deny's actions take in all of an Allow's: "*", "kms:*", or each of them by name. */
const covers = (denied: readonly string[], allowed: readonly string[]) => {
  const names = new Set(denied.map((action) => action.toLowerCase()));
  return (
    names.has('*') ||
    names.has('kms:*') ||
    (allowed.length > 0 && allowed.every((action) => names.has(action.toLowerCase())))
  );
};

/**
 * An Allow with the limits of the policy's Deny statements for everyone that cover its actions: an explicit deny
 * overrides an allow, so the Allow admits only whom they spare
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 */
export const withDenyLimits = (statement: PolicyStatement, policy: readonly PolicyStatement[]): PolicyStatement => {
  if (statement.effect !== 'Allow') return statement;
  const spared = policy.flatMap((deny) =>
    deny.spares && covers(deny.actions, statement.actions) ? [deny.spares] : [],
  );
  return spared.length === 0 ? statement : { ...statement, callerLimits: [...statement.callerLimits, ...spared] };
};

/** A key policy's statements, each Allow with the limits its Deny statements add. */
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
  const statements = entries
    .filter((entry): entry is Record<string, unknown> => !!entry && typeof entry === 'object')
    .map(readStatement);
  return statements.map((statement) => withDenyLimits(statement, statements));
};

export const policyOf = (requestParameters: Record<string, unknown>): PolicyStatement[] | undefined =>
  requestParameters.policy === undefined ? undefined : parsePolicy(requestParameters.policy);
