import {
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  type AdvancedEventSelector,
  type AdvancedFieldSelector,
  type CloudTrailClient,
  type EventSelector,
  type Trail,
} from '@aws-sdk/client-cloudtrail';
import { DescribeRuleCommand, ResourceNotFoundException, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  DescribeKeyCommand,
  GetKeyRotationStatusCommand,
  ListKeysCommand,
  type KeyMetadata,
  type KMSClient,
} from '@aws-sdk/client-kms';

/** One finding of `kms-warden doctor`: plain data, formatted by the command. */
export interface SetupCheck {
  check: string;
  ok: boolean;
  detail: string;
  /** One line: the command that fixes it, or the permission to grant first. */
  fix?: string;
}

/** An EventBridge rule kms-warden deploys, with the state it must be in (from serverless.yml). */
export interface ExpectedRule {
  name: string;
  state: string;
  eventBus?: string;
  /** The rule's pattern file in the kms-warden checkout, to put the rule back with. */
  patternFile?: string;
  description?: string;
}

export interface AccountSetupClients {
  /** Trails are read in their home Region: a multi-Region trail seen here may be based elsewhere. */
  cloudTrail: (region: string) => CloudTrailClient;
  events: (region: string) => EventBridgeClient;
  kms: (region: string) => KMSClient;
}

/** The caller may not make this call: the check that needed it fails and names the permission. */
export class MissingPermissionError extends Error {
  override readonly name = 'MissingPermissionError';
  constructor(
    readonly action: string,
    options?: ErrorOptions,
  ) {
    super(`access denied (needs ${action})`, options);
  }
}

const KMS = 'kms.amazonaws.com';

const isAccessDenied = (error: unknown, alsoDenied: readonly string[]) => {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    name === 'AccessDeniedException' ||
    name === 'AccessDenied' ||
    (name !== undefined && alsoDenied.includes(name)) ||
    $metadata?.httpStatusCode === 403
  );
};

/** A call the caller may not be allowed to make: a refusal becomes MissingPermissionError, naming `action`. */
export const asking = async <T>(
  action: string,
  call: () => Promise<T>,
  alsoDenied: readonly string[] = [],
): Promise<T> => {
  try {
    return await call();
  } catch (error) {
    if (isAccessDenied(error, alsoDenied)) throw new MissingPermissionError(action, { cause: error });
    throw error;
  }
};

const grant = (actions: string[]) =>
  `allow ${actions.join(', ')} for the identity running kms-warden doctor, then run it again`;

const deniedCheck = (check: string, what: string, error: MissingPermissionError): SetupCheck => ({
  check,
  ok: false,
  detail: `cannot ${what}: ${error.message}`,
  fix: grant([error.action]),
});

const shellQuoted = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

// ---- CloudTrail: would the trail record a KMS management event, read-only and write? ----

interface ManagementEvent {
  readOnly: boolean;
  eventSource: string;
}

const kmsRead: ManagementEvent = { readOnly: true, eventSource: KMS };
const kmsWrite: ManagementEvent = { readOnly: false, eventSource: KMS };

export interface TrailSelectors {
  classic: EventSelector[];
  advanced: AdvancedEventSelector[];
}

const classicRecords = (selector: EventSelector, event: ManagementEvent) =>
  selector.IncludeManagementEvents !== false &&
  (selector.ReadWriteType ?? 'All') !== (event.readOnly ? 'WriteOnly' : 'ReadOnly') &&
  !(selector.ExcludeManagementEventSources ?? []).includes(event.eventSource);

const fieldValue = (field: string | undefined, event: ManagementEvent): string | undefined =>
  field === 'eventCategory'
    ? 'Management'
    : field === 'readOnly'
      ? String(event.readOnly)
      : field === 'eventSource'
        ? event.eventSource
        : undefined;

/** A field management events do not have matches no Equals/StartsWith/EndsWith condition and every Not* one. */
const fieldMatches = (selector: AdvancedFieldSelector, value: string | undefined) => {
  const some = (values: string[] | undefined, test: (candidate: string, v: string) => boolean) =>
    value !== undefined && (values ?? []).some((v) => test(value, v));
  const given = (values: string[] | undefined) => (values ?? []).length > 0;
  return (
    (!given(selector.Equals) || some(selector.Equals, (c, v) => c === v)) &&
    (!given(selector.StartsWith) || some(selector.StartsWith, (c, v) => c.startsWith(v))) &&
    (!given(selector.EndsWith) || some(selector.EndsWith, (c, v) => c.endsWith(v))) &&
    !some(selector.NotEquals, (c, v) => c === v) &&
    !some(selector.NotStartsWith, (c, v) => c.startsWith(v)) &&
    !some(selector.NotEndsWith, (c, v) => c.endsWith(v))
  );
};

const advancedRecords = (selector: AdvancedEventSelector, event: ManagementEvent) =>
  (selector.FieldSelectors ?? []).every((field) => fieldMatches(field, fieldValue(field.Field, event)));

// A trail uses either classic or advanced selectors, never both.
const records = (selectors: TrailSelectors, event: ManagementEvent) =>
  selectors.advanced.length > 0
    ? selectors.advanced.some((s) => advancedRecords(s, event))
    : selectors.classic.some((s) => classicRecords(s, event));

const isManagementSelector = (selector: AdvancedEventSelector) =>
  (selector.FieldSelectors ?? []).some((f) => f.Field === 'eventCategory' && (f.Equals ?? []).includes('Management'));

const hasConditions = (field: AdvancedFieldSelector) =>
  Object.entries(field).some(([name, values]) => name !== 'Field' && Array.isArray(values) && values.length > 0);

const withoutKmsExclusions = (selectors: TrailSelectors): TrailSelectors => ({
  classic: selectors.classic.map((s) => ({
    ...s,
    ExcludeManagementEventSources: (s.ExcludeManagementEventSources ?? []).filter((e) => e !== KMS),
  })),
  advanced: selectors.advanced.map((s) => ({
    ...s,
    FieldSelectors: (s.FieldSelectors ?? [])
      .map((f) => (f.Field === 'eventSource' ? { ...f, NotEquals: (f.NotEquals ?? []).filter((e) => e !== KMS) } : f))
      .filter((f) => f.Field !== 'eventSource' || hasConditions(f)),
  })),
});

/** Other exclusions survive the fix only where every management selector had them: the fix never records less. */
const excludedByEvery = (lists: string[][]) =>
  lists.length === 0
    ? []
    : lists
        .reduce((common, list) => common.filter((source) => list.includes(source)))
        .filter((source) => source !== KMS);

/**
 * The selectors to put instead: all management events, data event selectors unchanged (PutEventSelectors replaces them
 * all).
 */
export const recordingSelectors = (selectors: TrailSelectors): { option: string; json: string } => {
  if (selectors.advanced.length > 0) {
    const management = selectors.advanced.filter(isManagementSelector);
    const excluded = excludedByEvery(
      management.map((s) =>
        (s.FieldSelectors ?? []).filter((f) => f.Field === 'eventSource').flatMap((f) => f.NotEquals ?? []),
      ),
    );
    const all: AdvancedEventSelector = {
      Name: 'Management events',
      FieldSelectors: [
        { Field: 'eventCategory', Equals: ['Management'] },
        ...(excluded.length > 0 ? [{ Field: 'eventSource', NotEquals: excluded }] : []),
      ],
    };
    const dataEvents = selectors.advanced
      .filter((s) => !isManagementSelector(s))
      .map((s): AdvancedEventSelector => ({ ...(s.Name ? { Name: s.Name } : {}), FieldSelectors: s.FieldSelectors }));
    return { option: '--advanced-event-selectors', json: JSON.stringify([all, ...dataEvents]) };
  }
  const management = selectors.classic.filter((s) => s.IncludeManagementEvents !== false);
  const excluded = excludedByEvery(management.map((s) => s.ExcludeManagementEventSources ?? []));
  const all: EventSelector = {
    ReadWriteType: 'All',
    IncludeManagementEvents: true,
    ...(excluded.length > 0 ? { ExcludeManagementEventSources: excluded } : {}),
  };
  const dataEvents = selectors.classic
    .filter((s) => (s.DataResources ?? []).length > 0)
    .map((s): EventSelector => ({
      ReadWriteType: s.ReadWriteType ?? 'All',
      IncludeManagementEvents: false,
      DataResources: s.DataResources,
    }));
  return { option: '--event-selectors', json: JSON.stringify([all, ...dataEvents]) };
};

const coverage = (selectors: TrailSelectors) => ({
  reads: records(selectors, kmsRead),
  writes: records(selectors, kmsWrite),
});

/**
 * What keeps a trail's selectors from recording KMS management events, read-only and write; empty when nothing does.
 */
export const selectorProblems = (selectors: TrailSelectors): string[] => {
  const actual = coverage(selectors);
  if (actual.reads && actual.writes) return [];
  const unexcluded = coverage(withoutKmsExclusions(selectors));
  const problems: string[] = [];
  if (unexcluded.reads !== actual.reads || unexcluded.writes !== actual.writes) problems.push(`excludes ${KMS}`);
  if (!unexcluded.reads && !unexcluded.writes) problems.push('records no management events');
  else if (!unexcluded.reads) problems.push('records only write management events');
  else if (!unexcluded.writes) problems.push('records only read-only management events');
  return problems;
};

interface TrailFindings {
  name: string;
  multiRegion: boolean;
  problems: string[];
  commands: string[];
  denied: string[];
}

// ---- KMS ----

// Automatic rotation exists only for symmetric keys with KMS-made key material (not imported, not in a custom key
// store).
const canRotateAutomatically = (key: KeyMetadata) =>
  key.KeyManager === 'CUSTOMER' &&
  key.KeySpec === 'SYMMETRIC_DEFAULT' &&
  key.KeyState === 'Enabled' &&
  key.Origin === 'AWS_KMS';

const inBatches = async <T, R>(items: T[], size: number, each: (item: T) => Promise<R>): Promise<R[]> => {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(each))));
  return results;
};

type KeyFinding = SetupCheck | 'rotating' | 'not-applicable';

/**
 * Whether an account and Region are set up for kms-warden's detection: a trail recording KMS management events,
 * kms-warden's EventBridge rules in their states, automatic rotation on customer-managed keys. Reads only.
 */
export class AccountSetup {
  static readonly iamActions = [
    'cloudtrail:DescribeTrails',
    'cloudtrail:GetTrailStatus',
    'cloudtrail:GetEventSelectors',
    'events:DescribeRule',
    'kms:ListKeys',
    'kms:DescribeKey',
    'kms:GetKeyRotationStatus',
  ];

  constructor(
    private readonly clients: AccountSetupClients,
    private readonly region: string,
  ) {}

  async all(rules: ExpectedRule[], stage: string): Promise<SetupCheck[]> {
    return [await this.cloudTrail(), ...(await this.eventBridgeRules(rules, stage)), ...(await this.keyRotation())];
  }

  /**
   * A logging trail (multi-Region, or based in this Region) that records KMS management events, read-only and write.
   */
  async cloudTrail(): Promise<SetupCheck> {
    const check = 'cloudtrail';
    let trails: Trail[];
    try {
      const client = this.clients.cloudTrail(this.region);
      // Shadow trails: the multi-Region and organization trails based in other Regions that log this one too.
      const listed = await asking('cloudtrail:DescribeTrails', () =>
        client.send(new DescribeTrailsCommand({ includeShadowTrails: true })),
      );
      trails = (listed.trailList ?? []).filter((t) => t.IsMultiRegionTrail || t.HomeRegion === this.region);
    } catch (error) {
      if (error instanceof MissingPermissionError) return deniedCheck(check, 'list trails', error);
      throw error;
    }
    if (trails.length === 0) {
      const create = `aws cloudtrail create-trail --name kms-warden-trail --s3-bucket-name BUCKET --is-multi-region-trail --region ${this.region}`;
      return {
        check,
        ok: false,
        detail: `no trail records management events in ${this.region}: create a multi-Region trail (BUCKET: an S3 bucket whose policy lets CloudTrail write)`,
        fix: `${create} && aws cloudtrail start-logging --name kms-warden-trail --region ${this.region}`,
      };
    }
    const findings = await Promise.all(trails.map((trail) => this.trailFindings(trail)));
    const good = findings.find((f) => f.problems.length === 0);
    if (good) {
      return {
        check,
        ok: true,
        detail: `trail ${good.name}${good.multiRegion ? ' (multi-Region)' : ''} is logging read-only and write management events from ${KMS}`,
      };
    }
    const closest = [...findings].sort(
      (a, b) => a.problems.length - b.problems.length || Number(b.multiRegion) - Number(a.multiRegion),
    )[0]!;
    return {
      check,
      ok: false,
      detail: `no trail records KMS management events in ${this.region}: ${findings.map((f) => `trail ${f.name} ${f.problems.join(' and ')}`).join('; ')}`,
      fix: closest.denied.length > 0 ? grant(closest.denied) : closest.commands.join(' && '),
    };
  }

  private async trailFindings(trail: Trail): Promise<TrailFindings> {
    const name = trail.Name ?? trail.TrailARN ?? 'unnamed';
    const home = trail.HomeRegion ?? this.region;
    const id = trail.TrailARN ?? name;
    const client = this.clients.cloudTrail(home);
    const findings: TrailFindings = {
      name,
      multiRegion: trail.IsMultiRegionTrail ?? false,
      problems: [],
      commands: [],
      denied: [],
    };
    const unreadable = (error: unknown, what: string) => {
      if (!(error instanceof MissingPermissionError)) throw error;
      findings.problems.push(`cannot be read (${what}: ${error.message})`);
      findings.denied.push(error.action);
    };
    try {
      const status = await asking('cloudtrail:GetTrailStatus', () =>
        client.send(new GetTrailStatusCommand({ Name: id })),
      );
      if (!status.IsLogging) {
        findings.problems.push('is not logging');
        findings.commands.push(`aws cloudtrail start-logging --name ${name} --region ${home}`);
      }
    } catch (error) {
      unreadable(error, 'status');
    }
    try {
      const read = await asking('cloudtrail:GetEventSelectors', () =>
        client.send(new GetEventSelectorsCommand({ TrailName: id })),
      );
      const selectors = { classic: read.EventSelectors ?? [], advanced: read.AdvancedEventSelectors ?? [] };
      const problems = selectorProblems(selectors);
      if (problems.length > 0) {
        const { option, json } = recordingSelectors(selectors);
        findings.problems.push(...problems);
        findings.commands.push(
          `aws cloudtrail put-event-selectors --trail-name ${name} --region ${home} ${option} ${shellQuoted(json)}`,
        );
      }
    } catch (error) {
      unreadable(error, 'event selectors');
    }
    return findings;
  }

  /** Each rule exists on its bus, in the state kms-warden needs; one finding per rule. */
  async eventBridgeRules(rules: ExpectedRule[], stage: string): Promise<SetupCheck[]> {
    const check = 'eventbridge';
    const client = this.clients.events(this.region);
    return Promise.all(
      rules.map(async (rule): Promise<SetupCheck> => {
        try {
          const found = await asking('events:DescribeRule', () =>
            client.send(new DescribeRuleCommand({ Name: rule.name, EventBusName: rule.eventBus })),
          );
          if (found.State === rule.state) return { check, ok: true, detail: `rule ${rule.name} is ${rule.state}` };
          const why =
            rule.state === 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'
              ? ' (only then do read-only management events such as Decrypt reach it)'
              : '';
          return {
            check,
            ok: false,
            detail: `rule ${rule.name} is ${found.State ?? 'in no state'}, needs ${rule.state}${why}`,
            fix: this.ruleStateFix(rule, stage),
          };
        } catch (error) {
          if (error instanceof MissingPermissionError) return deniedCheck(check, `read rule ${rule.name}`, error);
          if (error instanceof ResourceNotFoundException) {
            return {
              check,
              ok: false,
              detail: `rule ${rule.name} does not exist`,
              fix: `npx serverless deploy --stage ${stage} --region ${this.region}`,
            };
          }
          throw error;
        }
      }),
    );
  }

  private ruleStateFix(rule: ExpectedRule, stage: string): string {
    const where = `${rule.eventBus ? ` --event-bus-name ${rule.eventBus}` : ''} --region ${this.region}`;
    if (rule.state === 'ENABLED') return `aws events enable-rule --name ${rule.name}${where}`;
    if (rule.state === 'DISABLED') return `aws events disable-rule --name ${rule.name}${where}`;
    // PutRule replaces the whole rule except its targets: the pattern and description go with it. A pattern that is
    // not a file (the activity stream's, made from one by rules/activity-stream.cjs) comes back with a deploy.
    if (!rule.patternFile) return `npx serverless deploy --stage ${stage} --region ${this.region}`;
    const pattern = ` --event-pattern file://${rule.patternFile}`;
    const description = rule.description ? ` --description ${shellQuoted(rule.description)}` : '';
    return `aws events put-rule --name ${rule.name} --state ${rule.state}${pattern}${description}${where}`;
  }

  /**
   * Automatic rotation on every enabled customer-managed symmetric key in the Region; one finding per key without it.
   */
  async keyRotation(): Promise<SetupCheck[]> {
    const check = 'key-rotation';
    const kms = this.clients.kms(this.region);
    const keyIds: string[] = [];
    try {
      let marker: string | undefined;
      do {
        const page = await asking('kms:ListKeys', () => kms.send(new ListKeysCommand({ Limit: 1000, Marker: marker })));
        for (const key of page.Keys ?? []) if (key.KeyArn ?? key.KeyId) keyIds.push((key.KeyArn ?? key.KeyId)!);
        marker = page.Truncated ? page.NextMarker : undefined;
      } while (marker);
    } catch (error) {
      if (error instanceof MissingPermissionError) return [deniedCheck(check, `list keys in ${this.region}`, error)];
      throw error;
    }

    const perKey = await inBatches(keyIds, 10, async (keyId): Promise<KeyFinding> => {
      try {
        const { KeyMetadata: key } = await asking('kms:DescribeKey', () =>
          kms.send(new DescribeKeyCommand({ KeyId: keyId })),
        );
        if (!key || !canRotateAutomatically(key)) return 'not-applicable';
        const { KeyRotationEnabled } = await asking('kms:GetKeyRotationStatus', () =>
          kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId })),
        );
        if (KeyRotationEnabled) return 'rotating';
        // A replica shares its primary's rotation, which only the primary can change.
        const primary =
          key.MultiRegionConfiguration?.MultiRegionKeyType === 'REPLICA'
            ? key.MultiRegionConfiguration.PrimaryKey
            : undefined;
        const target =
          primary?.Arn && primary.Region
            ? `--key-id ${primary.Arn} --region ${primary.Region}`
            : `--key-id ${key.KeyId} --region ${this.region}`;
        return {
          check,
          ok: false,
          detail: `key ${key.Arn} has automatic rotation off${primary ? ' (a replica: rotation is set on its primary)' : ''}`,
          fix: `aws kms enable-key-rotation ${target}`,
        };
      } catch (error) {
        if (error instanceof MissingPermissionError) return deniedCheck(check, `read key ${keyId}`, error);
        throw error;
      }
    });

    const findings = perKey.filter((r): r is SetupCheck => typeof r === 'object');
    const rotating = perKey.filter((r) => r === 'rotating').length;
    if (findings.length === 0 && rotating === 0)
      return [{ check, ok: true, detail: `no enabled customer-managed symmetric keys in ${this.region}` }];
    const plural = rotating === 1 ? 'key rotates' : 'keys rotate';
    const rotatingLine: SetupCheck = {
      check,
      ok: true,
      detail: `${rotating} enabled customer-managed symmetric ${plural} automatically in ${this.region}`,
    };
    return [...(rotating > 0 ? [rotatingLine] : []), ...findings];
  }
}
