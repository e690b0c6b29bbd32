import { BlockList, isIP } from 'node:net';

/**
 * AWS IAM policy evaluation for the strict-AWS layer: pure, no I/O. What AWS would refuse to store (a Principal in an
 * identity policy, a statement without Action or Resource, an operator or value it does not know) throws rather than
 * being guessed at. Sources, cited again next to the rules they decide:
 * - Evaluation logic:       https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 * - Action / NotAction:     https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
 * - Resource / NotResource: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 * - Principal:              https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
 * - NotPrincipal:           https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
 * - Condition operators:    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 * - Multiple keys/values:   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
 * - Set operators:          https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 *                           https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html
 * - Global condition keys:  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 * - Policy variables:       https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
 * - Version:                https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html
 * - KMS:                    https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html
 *                           https://docs.aws.amazon.com/kms/latest/developerguide/determining-access.html
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
  /**
   * The caller's ARN as STS GetCallerIdentity gives it: user ARN,
   * arn:<p>:sts::<acct>:assumed-role/<RoleName>/<session>, or arn:<p>:iam::<acct>:root
   */
  arn: string;
  /** aws:PrincipalArn: the user ARN, the ROLE ARN (with its IAM path) for a role session, or the root ARN. */
  principalArn: string;
  /** aws:TokenIssueTime, ISO 8601; only temporary credentials have it. */
  tokenIssueTime?: string;
}

/** Request context keys beyond those derived from the caller. Names are case-insensitive; undefined removes a key. */
export type ContextKeys = Record<string, string | string[] | boolean | number | undefined>;

export interface Request {
  caller: Caller;
  action: string;
  resource: string;
  context?: ContextKeys;
  now?: Date;
}

/**
 * One policy's verdict on one request. `matched` lists the Sids (or statement indexes as '#0', '#1') that decided it.
 */
export type Verdict = { effect: 'deny' | 'allow' | 'neutral'; matched: string[] };

// ---------------------------------------------------------------------------------------------------------------
// Reading policies

const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const statementsOf = (policy: PolicyDocument): Statement[] => list(policy.Statement) as Statement[];
const nameOf = (statement: Statement, index: number) => statement.Sid ?? `#${index}`;
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses a policy text; throws a clear Error on malformed JSON or a missing Statement. */
export function parsePolicy(text: string): PolicyDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`not a policy: ${(error as Error).message}`, { cause: error });
  }
  if (!isObject(parsed)) throw new Error('not a policy: the document is not a JSON object');
  if (!('Statement' in parsed)) throw new Error('not a policy: no Statement');
  if (!list(parsed.Statement).every(isObject))
    throw new Error('not a policy: Statement must be an object or a list of objects');
  return parsed as PolicyDocument;
}

/** A policy string value, as written: each element a string, or (in Condition values) a number or boolean. */
const policyStrings = (value: unknown, where: string): string[] =>
  list(value).map((item) => {
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') return String(item);
    throw new Error(`${where}: ${JSON.stringify(item)} is not a string`);
  });

// ---------------------------------------------------------------------------------------------------------------
// The request context

/** Context key (lower-cased: "Key names are case-insensitive", policy variables page) -> its values, never empty. */
type Context = Map<string, string[]>;

/** aws:PrincipalType for each kind of caller (global condition keys page, principal key values). */
const principalTypeOf = { user: 'User', 'assumed-role': 'AssumedRole', root: 'Account' } as const;

const contextOf = ({ caller, context = {}, now = new Date() }: Request): Context => {
  const derived: ContextKeys = {
    'aws:PrincipalArn': caller.principalArn,
    'aws:PrincipalAccount': caller.account,
    'aws:PrincipalType': principalTypeOf[caller.kind],
    // "always included in the request context for IAM users"; absent for roles and the root user.
    'aws:username': caller.kind === 'user' ? caller.arn.slice(caller.arn.lastIndexOf('/') + 1) : undefined,
    // "included in the request context only when the principal uses temporary credentials".
    'aws:TokenIssueTime': caller.tokenIssueTime,
    // "The key is present in the request context for all signed API requests": false for every caller here, since
    // none is an AWS service principal calling with its own identity (global condition keys page).
    'aws:PrincipalIsAWSService': 'false',
    'aws:CurrentTime': now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'aws:EpochTime': Math.floor(now.getTime() / 1000),
  };
  const keys: Context = new Map();
  for (const [name, value] of [...Object.entries(derived), ...Object.entries(context)]) {
    const values = list(value).map(String);
    if (values.length > 0) keys.set(name.toLowerCase(), values);
    else keys.delete(name.toLowerCase());
  }
  return keys;
};

// ---------------------------------------------------------------------------------------------------------------
// Strings with wildcards and policy variables

/** One character of a policy string after its variables are resolved; a wildcard is an unescaped * or ?. */
type Token = { char: string; wildcard: boolean };

const literalTokens = (text: string): Token[] => [...text].map((char) => ({ char, wildcard: false }));
const textOf = (tokens: Token[]) => tokens.map((token) => token.char).join('');

/**
 * Resolves ${key}, ${key, 'default'} and the escapes ${*} ${?} ${$}. A key with no single value and no default
 * leaves the value matching nothing (undefined). Variables exist only with Version 2012-10-17: "If you don't include
 * the Version element ..., variables like ${aws:username} are treated as literal strings" (policy variables page).
 */
const resolve = (text: string, context: Context, variables: boolean): Token[] | undefined => {
  const tokens: Token[] = [];
  for (let i = 0; i < text.length; i++) {
    const end = variables && text.startsWith('${', i) ? text.indexOf('}', i) : -1;
    if (end < 0) {
      tokens.push({ char: text[i]!, wildcard: text[i] === '*' || text[i] === '?' });
      continue;
    }
    const inner = text.slice(i + 2, end).trim();
    const variable = /^([^\s,]+)(?:\s*,\s*'((?:[^']|'')*)')?$/.exec(inner);
    let value: string | undefined;
    if (inner === '*' || inner === '?' || inner === '$') value = inner;
    else if (variable) {
      const values = context.get(variable[1]!.toLowerCase());
      // A multivalued key cannot be a variable (single- vs multivalued keys page): it resolves like an absent one.
      value = values?.length === 1 ? values[0] : variable[2]?.replace(/''/g, "'");
    } else throw new Error(`policy variable \${${inner}} is malformed`);
    if (value === undefined) return undefined;
    tokens.push(...literalTokens(value));
    i = end;
  }
  return tokens;
};

const escapeRegExp = (char: string) => char.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/**
 * A glob over tokens. In a Resource ARN (segmented), wildcards stay inside their colon-delimited segment, except that
 * "If the * wildcard is the last character of a resource ARN segment, it can expand to match beyond the colon
 * boundaries" (Resource page).
 */
const globMatches = (tokens: Token[], value: string, { ignoreCase = false, segmented = false } = {}) => {
  const source = tokens
    .map((token, i) => {
      if (!token.wildcard) return escapeRegExp(token.char);
      if (!segmented) return token.char === '*' ? '.*' : '.';
      if (token.char === '?') return '[^:]';
      const next = tokens[i + 1];
      return next === undefined || (next.char === ':' && !next.wildcard) ? '.*' : '[^:]*';
    })
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
};

/** An ARN's six parts: the first five colon-delimited components, then the resource (which may hold colons). */
const arnParts = <T>(items: T[], isColon: (item: T) => boolean): T[][] | undefined => {
  const parts: T[][] = [[]];
  for (const item of items) {
    if (parts.length < 6 && isColon(item)) parts.push([]);
    else parts[parts.length - 1]!.push(item);
  }
  return parts.length === 6 ? parts : undefined;
};

/**
 * ArnLike/ArnEquals: "Each of the six colon-delimited components of the ARN is checked separately and each can
 * include ... wildcards" (condition operators page, where arn:aws:someservice:*:111122223333:finance/* does not match
 * a value whose * would have to span colons). A pattern or value without six components matches nothing.
 */
const arnMatches = (pattern: Token[], value: string) => {
  const expected = arnParts(pattern, (token) => token.char === ':' && !token.wildcard);
  const actual = arnParts([...value], (char) => char === ':');
  return !!expected && !!actual && expected.every((part, i) => globMatches(part, actual[i]!.join('')));
};

// ---------------------------------------------------------------------------------------------------------------
// Condition operators

const isNumber = (text: string) => /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text.trim());
const numberOf = (text: string) => (isNumber(text) ? Number(text) : NaN);
/** "W3C implementations of the ISO 8601 date formats or ... epoch (UNIX) time" (condition operators page). */
const isoDate = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$/;
const dateOf = (text: string) => {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (!isoDate.test(text)) return NaN;
  // A time without a zone designator is read as UTC, never as the test machine's local time.
  return Date.parse(/T[\d:.]+$/.test(text) ? `${text}Z` : text);
};
const subnetOf = (cidr: string) => {
  const [base = '', bits] = cidr.split('/');
  const family = isIP(base);
  const max = family === 4 ? 32 : 128;
  // "If you specify an IP address without the associated routing prefix, IAM uses the default prefix value of /32."
  const prefix = bits === undefined ? max : /^\d+$/.test(bits) ? Number(bits) : NaN;
  return family === 0 || !(prefix <= max)
    ? undefined
    : { base, prefix, type: family === 4 ? ('ipv4' as const) : ('ipv6' as const) };
};
const inSubnet = (cidr: string, ip: string) => {
  const subnet = subnetOf(cidr);
  if (!subnet || isIP(ip) !== (subnet.type === 'ipv4' ? 4 : 6)) return false;
  const block = new BlockList();
  block.addSubnet(subnet.base, subnet.prefix, subnet.type);
  return block.check(ip, subnet.type);
};
const numeric = (holds: (actual: number, expected: number) => boolean) => (e: Token[], a: string) =>
  holds(numberOf(a), numberOf(textOf(e)));
const dated = (holds: (actual: number, expected: number) => boolean) => (e: Token[], a: string) =>
  holds(dateOf(a), dateOf(textOf(e)));

interface Family {
  matches: (expected: Token[], actual: string) => boolean;
  /** Policy variables work in string and ARN conditions (and Bool, per the condition operators page); not elsewhere. */
  variables?: true;
  /** Rejects a policy value IAM would not store. */
  valid?: (value: string) => boolean;
}
const families: Record<string, Family> = {
  StringEquals: { matches: (e, a) => textOf(e) === a, variables: true },
  StringEqualsIgnoreCase: { matches: (e, a) => textOf(e).toLowerCase() === a.toLowerCase(), variables: true },
  StringLike: { matches: (e, a) => globMatches(e, a), variables: true },
  NumericEquals: { matches: numeric((a, e) => a === e), valid: isNumber },
  NumericLessThan: { matches: numeric((a, e) => a < e), valid: isNumber },
  NumericLessThanEquals: { matches: numeric((a, e) => a <= e), valid: isNumber },
  NumericGreaterThan: { matches: numeric((a, e) => a > e), valid: isNumber },
  NumericGreaterThanEquals: { matches: numeric((a, e) => a >= e), valid: isNumber },
  DateEquals: { matches: dated((a, e) => a === e), valid: (v) => !Number.isNaN(dateOf(v)) },
  DateLessThan: { matches: dated((a, e) => a < e), valid: (v) => !Number.isNaN(dateOf(v)) },
  DateLessThanEquals: { matches: dated((a, e) => a <= e), valid: (v) => !Number.isNaN(dateOf(v)) },
  DateGreaterThan: { matches: dated((a, e) => a > e), valid: (v) => !Number.isNaN(dateOf(v)) },
  DateGreaterThanEquals: { matches: dated((a, e) => a >= e), valid: (v) => !Number.isNaN(dateOf(v)) },
  Bool: { matches: (e, a) => textOf(e).toLowerCase() === a.toLowerCase(), variables: true },
  // "compares the value of the specified key byte for byte against a base-64 encoded representation".
  BinaryEquals: {
    matches: (e, a) => Buffer.from(textOf(e), 'base64').equals(Buffer.from(a, 'base64')),
    valid: (v) => /^[A-Za-z0-9+/]*={0,2}$/.test(v),
  },
  IpAddress: { matches: (e, a) => inSubnet(textOf(e), a), valid: (v) => subnetOf(v) !== undefined },
  // "The ArnEquals and ArnLike condition operators behave identically."
  ArnEquals: { matches: arnMatches, variables: true },
  ArnLike: { matches: arnMatches, variables: true },
};
const negations: Record<string, string> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  NumericNotEquals: 'NumericEquals',
  DateNotEquals: 'DateEquals',
  NotIpAddress: 'IpAddress',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
};

interface Operator {
  name: string;
  qualifier?: 'ForAnyValue' | 'ForAllValues';
  ifExists: boolean;
  negated: boolean;
  /** undefined for Null, which tests presence only. */
  family?: Family;
}

/** Reads an operator name such as ForAllValues:StringNotLikeIfExists; throws on one this evaluator does not know. */
const operatorOf = (name: string): Operator => {
  const [, qualifier, rest = ''] = /^(?:(ForAnyValue|ForAllValues):)?(.*)$/.exec(name)!;
  // "You can add IfExists to the end of any condition operator name except the Null condition".
  const ifExists = rest.endsWith('IfExists') && rest !== 'NullIfExists';
  const base = ifExists ? rest.slice(0, -'IfExists'.length) : rest;
  const positive = negations[base] ?? base;
  if (base === 'Null' && !qualifier) return { name, ifExists: false, negated: false };
  const family = families[positive];
  if (!family || base === 'Null') throw new Error(`condition operator ${name} is not implemented by the strict layer`);
  return {
    name,
    ...(qualifier ? { qualifier: qualifier as Operator['qualifier'] } : {}),
    ifExists,
    negated: base in negations,
    family,
  };
};

/**
 * One operator over one context key. Missing keys (condition operators page): "If the key that you specify in a policy
 * condition is not present in the request context, the values do not match and the condition is false. If the policy
 * condition requires that the key is not matched, such as StringNotLike or ArnNotLike, and the right key is not
 * present, the condition is true. This logic applies to all condition operators except ...IfExists and Null check."
 * ...IfExists: "If the key is not present, evaluate the condition element as true." Null: "true (the key doesn't
 * exist ...) or false (the key exists and its value is not null)". Set operators: "The ForAllValues set operator also
 * returns true if there are no context keys in the request"; ForAnyValue "returns false" on an empty set
 * (multi-value conditions page).
 */
const keyHolds = (
  operator: Operator,
  key: string,
  expected: string[],
  context: Context,
  variables: boolean,
): boolean => {
  const actual = context.get(key.toLowerCase());
  const { family, qualifier, negated } = operator;
  if (!family) return expected.some((value) => value.toLowerCase() === String(actual === undefined));
  if (actual === undefined)
    return operator.ifExists || qualifier === 'ForAllValues' || (qualifier !== 'ForAnyValue' && negated);
  const patterns = expected
    .map((value) => resolve(value, context, variables && !!family.variables))
    .filter((tokens) => tokens !== undefined);
  // Several policy values are ORed; for a negated operator they are NORed (multi-value conditions page).
  const holdsFor = (value: string) => negated !== patterns.some((tokens) => family.matches(tokens, value));
  if (qualifier === 'ForAllValues') return actual.every(holdsFor);
  if (qualifier === 'ForAnyValue') return actual.some(holdsFor);
  // "To compare a condition context key with a request context key that has multiple key values, you must use the
  // ForAllValues or ForAnyValue set operators" (single- vs multivalued keys page): no guessing which was meant.
  if (actual.length > 1)
    throw new Error(
      `condition operator ${operator.name} needs ForAnyValue: or ForAllValues: for ${key}, which has several values in this request`,
    );
  return holdsFor(actual[0]!);
};

/** Operators are ANDed, keys within an operator are ANDed (multi-value conditions page). */
const conditionsHold = (statement: Statement, context: Context, variables: boolean) =>
  Object.entries(statement.Condition ?? {}).every(([name, block]) =>
    Object.entries(block).every(([key, expected]) =>
      keyHolds(operatorOf(name), key, policyStrings(expected, name), context, variables),
    ),
  );

// ---------------------------------------------------------------------------------------------------------------
// Statements: what AWS would refuse to store, then Action, Resource, Principal

/** trust: a role's trust policy, a resource-based policy with no Resource element (the role is the resource). */
type PolicyKind = 'identity' | 'resource' | 'trust';

/** Throws on a statement AWS would not accept, before any request is matched against it. */
const checkStatement = (statement: Statement, name: string, kind: PolicyKind) => {
  const fail = (why: string): never => {
    throw new Error(`${kind}-based policy statement ${name}: ${why}`);
  };
  if (!isObject(statement)) fail('is not an object');
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny')
    fail(`Effect must be "Allow" or "Deny", not ${JSON.stringify(statement.Effect)}`);
  // "Statements must include either an Action or NotAction element" (Action page); likewise Resource (Resource page).
  if ((statement.Action === undefined) === (statement.NotAction === undefined))
    fail('needs exactly one of Action and NotAction');
  // A trust policy names no resource: IAM refuses one with "Has prohibited field Resource" (IAM user guide, "Role
  // trust policy").
  if (kind === 'trust' && (statement.Resource !== undefined || statement.NotResource !== undefined))
    fail('has a Resource element, which IAM refuses in a trust policy');
  if (kind !== 'trust' && (statement.Resource === undefined) === (statement.NotResource === undefined))
    fail('needs exactly one of Resource and NotResource');
  const hasPrincipal = statement.Principal !== undefined || statement.NotPrincipal !== undefined;
  // "You cannot use the Principal element in an identity-based policy"; "You must use the Principal element in
  // resource-based policies" (Principal page).
  if (kind === 'identity' && hasPrincipal)
    fail('has a Principal or NotPrincipal element, which IAM refuses in an identity-based policy');
  if (kind !== 'identity' && (statement.Principal === undefined) === (statement.NotPrincipal === undefined))
    fail('needs exactly one of Principal and NotPrincipal');
  // IAM's own refusal reads "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.".
  for (const action of policyStrings(statement.Action ?? statement.NotAction, `statement ${name} Action`)) {
    if (!action.includes(':') && !/^\*+$/.test(action)) fail(`action ${action} has no service prefix`);
  }
  policyStrings(statement.Resource ?? statement.NotResource, `statement ${name} Resource`);
  if (statement.Condition !== undefined && !isObject(statement.Condition)) fail('Condition is not an object');
  for (const [operatorName, block] of Object.entries(statement.Condition ?? {})) {
    const operator = operatorOf(operatorName);
    if (!isObject(block)) fail(`condition ${operatorName} is not an object`);
    for (const [key, values] of Object.entries(block)) {
      if (!key.includes(':')) fail(`condition key ${key} has no service prefix`);
      for (const value of policyStrings(values, `condition ${operatorName} ${key}`)) {
        if (operator.family?.valid && !operator.family.valid(value))
          fail(`${JSON.stringify(value)} is not a valid value for ${operatorName}`);
      }
    }
  }
};

/** "The prefix and the action name are case insensitive" (Action page); * and ? are wildcards. */
const actionMatches = (statement: Statement, action: string) => {
  const matches = (patterns: string[]) =>
    patterns.some((pattern) => globMatches(resolve(pattern, new Map(), false)!, action, { ignoreCase: true }));
  return statement.NotAction !== undefined
    ? !matches(policyStrings(statement.NotAction, 'NotAction'))
    : matches(policyStrings(statement.Action, 'Action'));
};

/** Case-sensitive; a request for no resource ('*': CreateKey, ListKeys) is covered only by a Resource of wildcards. */
const resourceMatches = (statement: Statement, resource: string, context: Context, variables: boolean) => {
  const matches = (patterns: string[]) =>
    patterns.some((pattern) => {
      const tokens = resolve(pattern, context, variables);
      if (!tokens) return false;
      if (resource === '*') return tokens.length > 0 && tokens.every((token) => token.wildcard && token.char === '*');
      return globMatches(tokens, resource, { segmented: true });
    });
  return statement.NotResource !== undefined
    ? !matches(policyStrings(statement.NotResource, 'NotResource'))
    : matches(policyStrings(statement.Resource, 'Resource'));
};

/** How a Principal/NotPrincipal element's list names the caller and the principals above it. */
interface Naming {
  everyone: boolean;
  account: boolean;
  /** The user, the role (for a session: its role ARN with path, compared with aws:PrincipalArn), or the root user. */
  identity: boolean;
  session: boolean;
}
const principalElementTypes = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);

const namingOf = (element: unknown, caller: Caller, where: string): Naming => {
  if (element === '*') return { everyone: true, account: false, identity: false, session: false };
  if (!isObject(element)) throw new Error(`${where}: a principal must be "*" or an object such as {"AWS": ...}`);
  const unknown = Object.keys(element).find((type) => !principalElementTypes.has(type));
  if (unknown) throw new Error(`${where}: unknown principal type ${unknown}`);
  // Service, Federated and CanonicalUser principals never name an IAM user, role session or root user. Nothing here
  // is a wildcard but "*" alone: "You cannot use a wildcard to match part of a principal name or ARN" (Principal page).
  const named = new Set(policyStrings(element.AWS, where));
  // "The account ARN and the shortened account ID behave the same way. Both delegate permissions to the account."
  const account = named.has(caller.account) || named.has(`arn:${caller.partition}:iam::${caller.account}:root`);
  return {
    everyone: named.has('*'),
    account,
    // The root user is its account: naming the account names it directly (it has no IAM policies to delegate to).
    identity: caller.kind === 'root' ? account : named.has(caller.principalArn),
    session: caller.kind === 'assumed-role' && named.has(caller.arn),
  };
};

/** 'direct' when the statement applies to the caller itself, 'account' when only through its account, or neither. */
const principalApplies = (statement: Statement, caller: Caller, where: string): 'direct' | 'account' | undefined => {
  if (statement.Principal !== undefined) {
    const n = namingOf(statement.Principal, caller, where);
    return n.everyone || n.identity || n.session ? 'direct' : n.account ? 'account' : undefined;
  }
  const n = namingOf(statement.NotPrincipal, caller, where);
  if (statement.Effect === 'Allow') {
    // "allows all principals except the one named ... you might grant access to anonymous (unauthenticated) users".
    return n.everyone || n.account || n.identity || n.session ? undefined : 'direct';
  }
  // With Deny, "you must also specify the account ARN of the not-denied principal ... AWS might validate the account
  // first, then the role, and then the assumed-role user" (NotPrincipal page): the caller is spared only when its
  // account and itself (its role, for a session) are both listed.
  return n.everyone || (n.account && n.identity) ? undefined : 'direct';
};

const usesVariables = (policy: PolicyDocument) => policy.Version === '2012-10-17';

// ---------------------------------------------------------------------------------------------------------------
// Verdicts

/** Identity-based policies (no Principal element allowed): explicit deny > allow > implicit deny (neutral). */
export function evaluateIdentityPolicies(policies: PolicyDocument[], request: Request): Verdict {
  if (!request.action.includes(':')) throw new Error(`request action ${request.action} has no service prefix`);
  const context = contextOf(request);
  const denies: string[] = [];
  const allows: string[] = [];
  for (const policy of policies) {
    const statements = statementsOf(policy);
    const variables = usesVariables(policy);
    statements.forEach((statement, index) => checkStatement(statement, nameOf(statement, index), 'identity'));
    statements.forEach((statement, index) => {
      if (
        !actionMatches(statement, request.action) ||
        !resourceMatches(statement, request.resource, context, variables) ||
        !conditionsHold(statement, context, variables)
      )
        return;
      (statement.Effect === 'Deny' ? denies : allows).push(nameOf(statement, index));
    });
  }
  // "An explicit deny in any of these policies overrides the allow" (evaluation logic page).
  if (denies.length > 0) return { effect: 'deny', matched: denies };
  return allows.length > 0 ? { effect: 'allow', matched: allows } : { effect: 'neutral', matched: [] };
}

/**
 * A resource-based policy (a KMS key policy): statements must match the caller through Principal/NotPrincipal.
 * allowDirect: an Allow naming this caller itself (its role ARN for a session, its user ARN, its session ARN, or "*" /
 * {"AWS":"*"}).
 * allowAccount: an Allow naming the caller's account (arn:<p>:iam::<acct>:root or the bare 12-digit id) — which in AWS
 * only delegates to the account's IAM policies (the caller still needs an identity-policy allow).
 */
export function evaluateResourcePolicy(
  policy: PolicyDocument,
  request: Request,
  kind: 'resource' | 'trust' = 'resource',
): { deny: boolean; allowDirect: boolean; allowAccount: boolean; matched: string[] } {
  if (!request.action.includes(':')) throw new Error(`request action ${request.action} has no service prefix`);
  const context = contextOf(request);
  const variables = usesVariables(policy);
  const result = { deny: false, allowDirect: false, allowAccount: false, matched: [] as string[] };
  const statements = statementsOf(policy);
  statements.forEach((statement, index) => checkStatement(statement, nameOf(statement, index), kind));
  statements.forEach((statement, index) => {
    const name = nameOf(statement, index);
    // A trust policy's statements are about the role itself: no Resource to match.
    if (
      !actionMatches(statement, request.action) ||
      (kind === 'resource' && !resourceMatches(statement, request.resource, context, variables))
    )
      return;
    const applies = principalApplies(statement, request.caller, `resource-based policy statement ${name}`);
    if (!applies || !conditionsHold(statement, context, variables)) return;
    result.matched.push(name);
    if (statement.Effect === 'Deny') result.deny = true;
    else if (applies === 'direct') result.allowDirect = true;
    else result.allowAccount = true;
  });
  return result;
}

/**
 * KMS's rule for combining them (AWS KMS developer guide, "Determining access to an AWS KMS key"):
 * denied if either denies explicitly; allowed if the key policy allows the caller directly, or allows the caller's
 * account and an identity policy allows; otherwise denied. Returns the reason as a sentence for error messages.
 */
export function authorizeKms(
  keyPolicy: PolicyDocument,
  identityPolicies: PolicyDocument[],
  request: Request,
): { allowed: boolean; reason: string } {
  // A key policy's Resource "*" means this key, so the key's own ARN is what it is matched against.
  const byKey = evaluateResourcePolicy(keyPolicy, request);
  const byIam = evaluateIdentityPolicies(identityPolicies, request);
  if (byKey.deny)
    return { allowed: false, reason: `with an explicit deny in a resource-based policy (${byKey.matched.join(', ')})` };
  if (byIam.effect === 'deny')
    return {
      allowed: false,
      reason: `with an explicit deny in an identity-based policy (${byIam.matched.join(', ')})`,
    };
  if (byKey.allowDirect) return { allowed: true, reason: 'the key policy allows the caller' };
  // "Without permission from the key policy, IAM policies that allow permissions have no effect" (key policies page).
  if (byKey.allowAccount && byIam.effect === 'allow')
    return {
      allowed: true,
      reason: "the key policy allows the caller's account and an identity-based policy allows the caller",
    };
  if (byKey.allowAccount)
    return { allowed: false, reason: `no identity-based policy allows the ${request.action} action` };
  return { allowed: false, reason: `no resource-based policy allows the ${request.action} action` };
}
