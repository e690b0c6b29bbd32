import { defaultThresholds, type Thresholds } from './detection';

/**
 * Thresholds as a person writes them (any subset, the rest defaulted), checked without a schema library: the
 * configuration is read at every function's start, and a schema library's load was most of the activity function's
 * (README, "Activity path cost"). Unknown fields are refused at every level: a typo must not pass silently.
 */
export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** A principal named in settings: an IAM or STS ARN. */
export const principalArnPattern = /^arn:aws[a-z-]*:(iam|sts)::\d{12}:/;
export const accountIdPattern = /^\d{12}$/;

type NumberRule = { min: number; max?: number; above?: boolean; integer?: boolean };

const rules: {
  [K in keyof Thresholds]: Thresholds[K] extends object ? Record<keyof Thresholds[K], NumberRule> : NumberRule;
} = {
  accessDeniedBurst: { count: { min: 0, above: true, integer: true }, windowMinutes: { min: 0, above: true } },
  keyEnumeration: { distinctKeys: { min: 0, above: true, integer: true }, windowMinutes: { min: 0, above: true } },
  learningPeriodDays: { min: 0 },
  usageSpike: { factor: { min: 0, above: true }, minimumCalls: { min: 0, above: true, integer: true } },
  guardDutyMinimumSeverity: { min: 0, max: 10 },
  guardDutyRootCredentialSeverity: { min: 0, max: 10 },
  guardDutyQuarantineSeverity: { min: 0, max: 10 },
  // Three days at most: a story longer than that is a campaign, and an incident that long never lets its group go.
  correlationWindowHours: { min: 0, above: true, max: 72 },
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isRule = (rule: unknown): rule is NumberRule => isRecord(rule) && typeof rule.min === 'number';

const numberProblem = (path: string, value: unknown, rule: NumberRule): string | undefined => {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${path}: must be a number`;
  if (rule.integer && !Number.isInteger(value)) return `${path}: must be a whole number`;
  if (rule.above ? value <= rule.min : value < rule.min)
    return `${path}: must be ${rule.above ? 'more than' : 'at least'} ${rule.min}`;
  if (rule.max !== undefined && value > rule.max) return `${path}: must be at most ${rule.max}`;
  return undefined;
};

export const checkThresholds = (given: unknown): Checked<Thresholds> => {
  if (!isRecord(given)) return { ok: false, problems: ['thresholds: must be a JSON object'] };
  const problems: string[] = [];
  const value = structuredClone(defaultThresholds) as unknown as Record<string, unknown>;
  for (const [name, entry] of Object.entries(given)) {
    const rule = (rules as Record<string, unknown>)[name];
    if (rule === undefined) {
      problems.push(`${name}: not a threshold`);
    } else if (isRule(rule)) {
      const problem = numberProblem(name, entry, rule);
      if (problem) problems.push(problem);
      else value[name] = entry;
    } else if (!isRecord(entry)) {
      problems.push(`${name}: must be an object`);
    } else {
      const into = value[name] as Record<string, unknown>;
      for (const [field, number] of Object.entries(entry)) {
        const inner = (rule as Record<string, NumberRule>)[field];
        const problem = inner ? numberProblem(`${name}.${field}`, number, inner) : `${name}.${field}: not a threshold`;
        if (problem) problems.push(problem);
        else into[field] = number;
      }
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: value as unknown as Thresholds };
};
