/** Reading key policies as CloudTrail records them: a JSON string (or, after some pipelines, an object). */

export interface PolicyStatement {
  sid: string | undefined;
  effect: string;
  principals: string[];
  /** Principal "*" or {"AWS": "*"}: anyone, in any account. */
  anyone: boolean;
  actions: string[];
  conditionKeys: string[];
}

const list = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)];

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
    .map((entry) => {
      const principal = entry.Principal;
      const principals =
        principal === '*'
          ? ['*']
          : principal && typeof principal === 'object'
            ? Object.values(principal as Record<string, unknown>).flatMap(list)
            : [];
      const awsPrincipals =
        principal && typeof principal === 'object' ? list((principal as Record<string, unknown>).AWS) : [];
      const conditions = (entry.Condition ?? {}) as Record<string, Record<string, unknown>>;
      return {
        sid: typeof entry.Sid === 'string' ? entry.Sid : undefined,
        effect: String(entry.Effect ?? ''),
        principals,
        anyone: principal === '*' || awsPrincipals.includes('*'),
        actions: list(entry.Action),
        conditionKeys: Object.values(conditions).flatMap((block) =>
          Object.keys(block ?? {}).map((key) => key.toLowerCase()),
        ),
      };
    });
};

/**
 * Condition keys that tie a statement to known callers. A statement open to "*" with none of these lets any
 * AWS account use the key.
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
  'kms:viaservice',
];

export const policyOf = (requestParameters: Record<string, unknown>): PolicyStatement[] | undefined =>
  requestParameters.policy === undefined ? undefined : parsePolicy(requestParameters.policy);
