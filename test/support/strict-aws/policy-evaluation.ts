/**
 * AWS IAM policy evaluation, faithfully enough to authorize what the code under test sends to the emulator.
 * - Policy evaluation logic: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 * - Elements (Action, Resource, Principal, NotPrincipal, Condition):
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
 * - Condition operators: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 * - Global condition keys: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 * - KMS: https://docs.aws.amazon.com/kms/latest/developerguide/determining-access.html
 */

export type PolicyDocument = { Version?: string; Id?: string; Statement: Statement | Statement[] };
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** Who is calling, as AWS's request context knows it. */
export interface Caller {
  kind: 'user' | 'assumed-role' | 'root';
  account: string;
  partition: string;
  /** The caller's ARN as GetCallerIdentity gives it. */
  arn: string;
  /** aws:PrincipalArn: the user ARN, the role ARN (with its path) for a role session, or the root ARN. */
  principalArn: string;
  /** aws:TokenIssueTime, only for temporary credentials. */
  tokenIssueTime?: string;
}

export type ContextKeys = Record<string, string | string[] | boolean | number | undefined>;
export interface Request {
  caller: Caller;
  action: string;
  resource: string;
  context?: ContextKeys;
  now?: Date;
}
export type Verdict = { effect: 'deny' | 'allow' | 'neutral'; matched: string[] };

const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const strings = (value: unknown): string[] => list(value).map(String);
const statementsOf = (policy: PolicyDocument): Statement[] => list(policy.Statement) as Statement[];
const nameOf = (statement: Statement, index: number) => statement.Sid ?? `#${index}`;

export const parsePolicy = (text: string): PolicyDocument => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`not a policy: ${(error as Error).message}`, { cause: error });
  }
  if (!parsed || typeof parsed !== 'object' || !('Statement' in parsed)) throw new Error('not a policy: no Statement');
  return parsed as PolicyDocument;
};

/** A glob with * (any run) and ? (one character). */
const glob = (pattern: string, value: string, ignoreCase = false) => {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
};

/** The request context: keys derived from the caller, then the request's own (names are case-insensitive). */
const contextOf = (request: Request): Map<string, string[] | undefined> => {
  const { caller } = request;
  const now = request.now ?? new Date();
  const keys = new Map<string, string[] | undefined>();
  const set = (name: string, value: unknown) => {
    if (value !== undefined) keys.set(name.toLowerCase(), strings(value));
  };
  set('aws:PrincipalArn', caller.principalArn);
  set('aws:PrincipalAccount', caller.account);
  set('aws:PrincipalType', caller.kind === 'user' ? 'User' : caller.kind === 'assumed-role' ? 'AssumedRole' : 'Account');
  if (caller.kind === 'user') set('aws:username', caller.arn.slice(caller.arn.lastIndexOf('/') + 1));
  // Only temporary credentials carry it: never a user's long-term access keys.
  set('aws:TokenIssueTime', caller.tokenIssueTime);
  set('aws:CurrentTime', now.toISOString());
  set('aws:EpochTime', String(Math.floor(now.getTime() / 1000)));
  for (const [name, value] of Object.entries(request.context ?? {})) set(name, value);
  return keys;
};

/** ${aws:username} and the like; a variable whose key is absent makes the value match nothing. */
const substitute = (text: string, context: Map<string, string[] | undefined>): string | undefined => {
  let missing = false;
  const result = text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    if (name === '*' || name === '?' || name === '$') return name;
    const value = context.get(name.toLowerCase());
    if (!value || value.length !== 1) {
      missing = true;
      return '';
    }
    return value[0]!;
  });
  return missing ? undefined : result;
};

const arnLike = (pattern: string, value: string) => {
  const p = pattern.split(':');
  const v = value.split(':');
  if (pattern === '*') return true;
  // "Each of the six colon-delimited components of the ARN is checked separately": a pattern with fewer never matches.
  if (p.length < 6 || v.length < 6) return false;
  // The first five parts one by one, the resource (which may hold colons) whole.
  return p.slice(0, 5).every((part, i) => glob(part, v[i]!)) && glob(p.slice(5).join(':'), v.slice(5).join(':'));
};

const dateOf = (value: string) => (/^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value));
const ipv4 = (ip: string) => ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
const inCidr = (cidr: string, ip: string) => {
  const [base, bits = '32'] = cidr.split('/');
  if (!ip.includes('.') || !base!.includes('.')) return ip === base;
  const mask = Number(bits) === 0 ? 0 : 2 ** 32 - 2 ** (32 - Number(bits));
  return (ipv4(ip) & mask) >>> 0 === (ipv4(base!) & mask) >>> 0;
};

/** One value against one policy value, for an operator without its Not, IfExists or set qualifier. */
const compare: Record<string, (policy: string, value: string) => boolean> = {
  StringEquals: (p, v) => p === v,
  StringEqualsIgnoreCase: (p, v) => p.toLowerCase() === v.toLowerCase(),
  StringLike: (p, v) => glob(p, v),
  NumericEquals: (p, v) => Number(v) === Number(p),
  NumericLessThan: (p, v) => Number(v) < Number(p),
  NumericLessThanEquals: (p, v) => Number(v) <= Number(p),
  NumericGreaterThan: (p, v) => Number(v) > Number(p),
  NumericGreaterThanEquals: (p, v) => Number(v) >= Number(p),
  DateEquals: (p, v) => dateOf(v) === dateOf(p),
  DateLessThan: (p, v) => dateOf(v) < dateOf(p),
  DateLessThanEquals: (p, v) => dateOf(v) <= dateOf(p),
  DateGreaterThan: (p, v) => dateOf(v) > dateOf(p),
  DateGreaterThanEquals: (p, v) => dateOf(v) >= dateOf(p),
  Bool: (p, v) => p.toLowerCase() === v.toLowerCase(),
  BinaryEquals: (p, v) => p === v,
  IpAddress: (p, v) => inCidr(p, v),
  ArnEquals: (p, v) => arnLike(p, v),
  ArnLike: (p, v) => arnLike(p, v),
};
const negated: Record<string, string> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  NumericNotEquals: 'NumericEquals',
  DateNotEquals: 'DateEquals',
  NotIpAddress: 'IpAddress',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
};

/**
 * One operator block over one key. Missing keys, per the condition operators page: a key absent from the request
 * context makes a positive operator false and a negated operator true ("...the condition key is not present... the
 * values do not match"; negated operators then return true); ...IfExists makes an absent key true; Null tests
 * presence; ForAllValues with no values is true, ForAnyValue with none is false.
 */
const conditionHolds = (operator: string, key: string, expected: unknown, context: Map<string, string[] | undefined>): boolean => {
  const qualifier = /^(ForAnyValue|ForAllValues):/.exec(operator)?.[1];
  let base = qualifier ? operator.slice(qualifier.length + 1) : operator;
  const ifExists = base.endsWith('IfExists');
  if (ifExists) base = base.slice(0, -'IfExists'.length);
  const values = context.get(key.toLowerCase());
  const wanted = strings(expected).map((value) => substitute(value, context));
  if (base === 'Null') {
    const absent = values === undefined || values.length === 0;
    return wanted.some((w) => (w === 'true') === absent);
  }
  const isNegated = base in negated;
  const positive = isNegated ? negated[base]! : base;
  const test = compare[positive];
  if (!test) throw new Error(`condition operator ${operator} is not implemented by the strict layer`);
  const matchesOne = (value: string) => wanted.some((w) => w !== undefined && test(w, value));
  if (values === undefined || values.length === 0) {
    if (qualifier === 'ForAllValues') return true;
    if (qualifier === 'ForAnyValue') return false;
    return ifExists || isNegated;
  }
  if (qualifier === 'ForAllValues') return values.every((value) => (isNegated ? !matchesOne(value) : matchesOne(value)));
  if (qualifier === 'ForAnyValue') return values.some((value) => (isNegated ? !matchesOne(value) : matchesOne(value)));
  // A single-valued key: the value matches any of the policy's values (negated: none of them).
  return isNegated ? !values.some(matchesOne) : values.some(matchesOne);
};

const conditionsHold = (statement: Statement, context: Map<string, string[] | undefined>) =>
  Object.entries(statement.Condition ?? {}).every(([operator, block]) => Object.entries(block ?? {}).every(([key, expected]) => conditionHolds(operator, key, expected, context)));

const actionMatches = (statement: Statement, action: string) =>
  statement.NotAction !== undefined ? !strings(statement.NotAction).some((p) => glob(p, action, true)) : strings(statement.Action).some((p) => glob(p, action, true));

const resourceMatches = (statement: Statement, resource: string, context: Map<string, string[] | undefined>) => {
  const matches = (patterns: string[]) =>
    patterns.some((raw) => {
      const pattern = substitute(raw, context);
      if (pattern === undefined) return false;
      // An action that takes no resource is authorized against "*": only a pattern of wildcards covers it.
      if (resource === '*') return /^[*]+$/.test(pattern);
      return glob(pattern, resource);
    });
  if (statement.NotResource !== undefined) return !matches(strings(statement.NotResource));
  if (statement.Resource === undefined) return true;
  return matches(strings(statement.Resource));
};

/** Whether a Principal element names this caller: itself ('direct') or its account ('account'). */
const principalMatch = (element: unknown, caller: Caller): 'direct' | 'account' | undefined => {
  if (element === '*') return 'direct';
  if (!element || typeof element !== 'object') return undefined;
  let found: 'direct' | 'account' | undefined;
  for (const principal of strings((element as Record<string, unknown>).AWS)) {
    if (principal === '*') return 'direct';
    if (principal === caller.account || principal === `arn:${caller.partition}:iam::${caller.account}:root`) found ??= 'account';
    // A role ARN covers every session of the role; a user ARN its user; a session ARN that session.
    if (principal === caller.principalArn || principal === caller.arn) return 'direct';
  }
  return found;
};

export function evaluateIdentityPolicies(policies: PolicyDocument[], request: Request): Verdict {
  const context = contextOf(request);
  const allows: string[] = [];
  for (const policy of policies) {
    for (const [index, statement] of statementsOf(policy).entries()) {
      if (!actionMatches(statement, request.action) || !resourceMatches(statement, request.resource, context) || !conditionsHold(statement, context)) continue;
      if (statement.Effect === 'Deny') return { effect: 'deny', matched: [nameOf(statement, index)] };
      allows.push(nameOf(statement, index));
    }
  }
  return allows.length > 0 ? { effect: 'allow', matched: allows } : { effect: 'neutral', matched: [] };
}

export function evaluateResourcePolicy(policy: PolicyDocument, request: Request) {
  const context = contextOf(request);
  const result = { deny: false, allowDirect: false, allowAccount: false, matched: [] as string[] };
  for (const [index, statement] of statementsOf(policy).entries()) {
    if (!actionMatches(statement, request.action) || !resourceMatches(statement, request.resource === '*' ? '*' : request.resource, context)) continue;
    let match: 'direct' | 'account' | undefined;
    // NotPrincipal: everyone but the principals it lists (with Allow: the anonymous too).
    if (statement.NotPrincipal !== undefined) match = principalMatch(statement.NotPrincipal, request.caller) ? undefined : 'direct';
    else match = principalMatch(statement.Principal, request.caller);
    if (!match || !conditionsHold(statement, context)) continue;
    result.matched.push(nameOf(statement, index));
    if (statement.Effect === 'Deny') result.deny = true;
    else if (match === 'direct') result.allowDirect = true;
    else result.allowAccount = true;
  }
  return result;
}

export function authorizeKms(keyPolicy: PolicyDocument, identityPolicies: PolicyDocument[], request: Request): { allowed: boolean; reason: string } {
  // A key policy's Resource is "*": it always speaks of its own key.
  const byKey = evaluateResourcePolicy(keyPolicy, { ...request, resource: '*' });
  const byIam = evaluateIdentityPolicies(identityPolicies, request);
  if (byKey.deny) return { allowed: false, reason: `with an explicit deny in a resource-based policy (${byKey.matched.join(', ')})` };
  if (byIam.effect === 'deny') return { allowed: false, reason: `with an explicit deny in an identity-based policy (${byIam.matched.join(', ')})` };
  if (byKey.allowDirect) return { allowed: true, reason: 'the key policy allows the caller' };
  if (byKey.allowAccount && byIam.effect === 'allow') return { allowed: true, reason: "the key policy allows the caller's account and an identity-based policy allows the caller" };
  if (byKey.allowAccount) return { allowed: false, reason: `no identity-based policy allows the ${request.action} action` };
  return { allowed: false, reason: `no resource-based policy allows the ${request.action} action` };
}
