import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { defaultDetectionSettings, type DetectionSettings, type Signal } from '../detections/detection';
import { parseDetectionSettings } from '../detections/settings';
import { UnreadableFileError } from '../errors';
import { preparedInParallel, preparedInProcess } from '../replay/prepared-batches';
import {
  inDeliveryOrder,
  localSources,
  s3Location,
  archivesByRegion,
  type ReplaySource,
  type TimeWindow,
} from '../replay/sources';
import { replay } from '../replay/replay';
import { StoryBook, type ReplayStory } from '../replay/stories';
import type { CommandIo } from './io';
import { plainLine } from '../notify/escape';

export const replayUsage = `Usage: kms-warden replay [options] SOURCE...

Runs every detector over CloudTrail logs, in event-time order with in-memory state, and prints the signals, then
the stories they make (one incident each, grouped as the responder groups them). It changes nothing. A SOURCE is a file ({"Records":[...]} as CloudTrail delivers it, NDJSON, EventBridge events; plain
or .gz), a directory (walked for log files), or a CloudTrail bucket: s3://BUCKET/PREFIX, read where CloudTrail
writes (AWSLogs/[O-ID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/, an organization trail's layout too).

Options:
  --since TIME             only events at or after TIME (ISO 8601: 2026-11-01 or 2026-11-01T12:00Z)
  --until TIME             only events before TIME
  --json                   one JSON object per line: each signal (with its story's id), and each story ("kind": "story")
                           once it is complete
  --trusted-accounts IDS   comma-separated account ids that are not external
  --config FILE            settings as JSON: {"keyAdministrators": [...], "trustedAccounts": [...],
                           "trustedOrganizations": [...], "thresholds": {...}}
  --workers N              threads that read and parse (default: one per CPU, none on one CPU; 0: all in this thread)

Reading a bucket needs s3:ListBucket on it and s3:GetObject on its objects (and kms:Decrypt on the trail's key when
its files are encrypted with one). A progress line is shown on a terminal.

Exit codes: 0 every source read (malformed inputs are counted on stderr), 2 a source or the config cannot be read
(a source that fails part-way is named, and the rest are still replayed), or bad usage.`;

const jsonLine = (signal: Signal, story: string) =>
  JSON.stringify({
    story,
    detector: signal.detector,
    severity: signal.severity,
    eventId: signal.source.eventId,
    eventName: signal.source.eventName,
    eventTime: signal.source.eventTime,
    keyArn: signal.keyArn ?? null,
    principalArn: signal.principal.arn,
    summary: signal.summary,
    title: signal.title,
    mitre: signal.mitre,
    evidence: signal.evidence,
  });

/** A story once it can grow no more: one JSON line (kind "story"), or a table line under "Stories:". */
const storyJson = (story: ReplayStory) => JSON.stringify({ kind: 'story', ...story });
const storyTableLine = (story: ReplayStory) =>
  [
    story.id,
    story.severity.padEnd(8),
    `${story.from.replace(/\.\d{3}Z$/, 'Z')} to ${story.to.replace(/\.\d{3}Z$/, 'Z')}`,
    plainLine(story.principalArn, 300),
    `${story.signals} signal${story.signals === 1 ? '' : 's'} (${story.detectors.join(', ')})`,
    `on ${story.keys.length} key${story.keys.length === 1 ? '' : 's'}`,
    story.severityReason ? `: ${story.severityReason}` : '',
  ].join('  ');

/** One line per signal: its summary quotes what an outsider wrote (ARNs, names), with control characters shown. */
const tableLine = (signal: Signal) =>
  [
    plainLine(signal.source.eventTime.replace(/\.\d{3}Z$/, 'Z'), 40),
    signal.severity.padEnd(8),
    signal.detector.padEnd(31),
    plainLine(signal.summary, 2000),
  ].join('  ');

const loadSettings = async (
  configFile: string | undefined,
  trustedAccounts: string | undefined,
): Promise<DetectionSettings> => {
  const fromFile = configFile
    ? parseDetectionSettings(JSON.parse(await readFile(configFile, 'utf8')))
    : defaultDetectionSettings;
  if (!trustedAccounts) return fromFile;
  const extra = trustedAccounts
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  return parseDetectionSettings({ ...fromFile, trustedAccounts: [...fromFile.trustedAccounts, ...extra] });
};

/**
 * Workers read, parse and run the stateless detectors; the main thread runs the stateful ones, a small share of the
 * work. One worker per CPU (on one CPU, none: all in this thread), measured by npm run bench:replay.
 */
const defaultWorkers = () => (availableParallelism() > 1 ? availableParallelism() : 0);

/** A refusal the user can fix (a time, a bucket the identity may not list): exit 2 with the reason. */
class UsageError extends Error {}

const parseTime = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const at = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(at))
    throw new UsageError(`--${name} takes an ISO 8601 time (2026-11-01 or 2026-11-01T12:00Z), not "${text}"`);
  return at;
};

/** The sources the arguments name, local paths walked and buckets listed, all in delivery order. */
const sourcesOf = async (args: string[], window: TimeWindow, warn: (line: string) => void): Promise<ReplaySource[]> => {
  const local = args.filter((arg) => !s3Location(arg));
  const sources = local.length > 0 ? await localSources(local, window) : [];
  const buckets = args.map(s3Location).filter((location) => location !== undefined);
  if (buckets.length > 0) {
    const { cloudTrailArchive } = await import('../composition/replay');
    for (const { bucket, prefix } of buckets) {
      let region: string | undefined;
      let files: Awaited<ReturnType<ReturnType<typeof cloudTrailArchive>['files']>>;
      try {
        // Listed and read from the bucket's own Region.
        region = await cloudTrailArchive().regionOf(bucket);
        files = await cloudTrailArchive(region).files(bucket, prefix, window);
      } catch (error) {
        // HeadBucket answers a refusal without a body: the SDK names it by its status (Forbidden, NotFound).
        const { name, message } = error as Error;
        throw new UsageError(
          `cannot list s3://${bucket}/${prefix}: ${name}: ${message}. Reading a CloudTrail bucket needs s3:ListBucket on it and s3:GetObject on its objects`,
        );
      }
      if (files.length === 0) warn(`no CloudTrail log files under s3://${bucket}/${prefix} for the window given`);
      for (const file of files)
        sources.push({ kind: 's3', bucket, key: file.key, region, deliveredAt: file.deliveredAt });
    }
  }
  return inDeliveryOrder(sources);
};

/** A one-line progress report, redrawn in place at most five times a second, on a terminal only. */
const progressLine = (io: CommandIo, total: number) => {
  const show = io.progress;
  if (!show) return { update: () => {}, done: () => {}, clear: () => {} };
  let drawn = false;
  const started = Date.now();
  let shown = 0;
  const draw = (sources: number, events: number) => {
    const seconds = (Date.now() - started) / 1000;
    const share = total === 0 ? 1 : sources / total;
    const left = share > 0 ? (seconds / share) * (1 - share) : 0;
    const width = 24;
    const bar = '#'.repeat(Math.round(share * width)).padEnd(width, '.');
    show(
      `[${bar}] ${sources}/${total} sources, ${events} events, ${Math.round(events / Math.max(seconds, 1e-3))}/s, ${Math.ceil(left)} s left`,
    );
  };
  return {
    update: (sources: number, events: number) => {
      const now = Date.now();
      if (now - shown < 200) return;
      shown = now;
      drawn = true;
      draw(sources, events);
    },
    /** Before a line of output: the progress line is drawn again at the next update. */
    clear: () => {
      if (drawn) show('');
      drawn = false;
    },
    done: () => show(''),
  };
};

export const replayCommand = async (argv: string[], io: CommandIo): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      since: { type: 'string' },
      until: { type: 'string' },
      'trusted-accounts': { type: 'string' },
      config: { type: 'string' },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(replayUsage);
    return 0;
  }
  if (positionals.length === 0) {
    io.err('kms-warden replay: name at least one file, directory or s3://BUCKET/PREFIX. See kms-warden replay --help.');
    return 2;
  }
  let settings: DetectionSettings;
  try {
    settings = await loadSettings(values.config, values['trusted-accounts']);
  } catch (error) {
    io.err(`kms-warden replay: bad settings: ${(error as Error).message.split('\n')[0]}`);
    return 2;
  }
  const workers = values.workers === undefined ? defaultWorkers() : Number(values.workers);
  if (!Number.isInteger(workers) || workers < 0) {
    io.err('kms-warden replay: --workers takes a whole number (0 parses in the main thread).');
    return 2;
  }
  let window: TimeWindow;
  try {
    window = { since: parseTime('since', values.since), until: parseTime('until', values.until) };
    if (window.since !== undefined && window.until !== undefined && window.since >= window.until)
      throw new UsageError('--since must come before --until');
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`kms-warden replay: ${error.message}`);
    return 2;
  }
  const responderRoles = (process.env.RESPONDER_ROLE_ARNS ?? '')
    .split(',')
    .map((arn) => arn.trim())
    .filter(Boolean);
  const options = { responderRoles, settings, window };
  const started = process.hrtime.bigint();
  let sources: ReplaySource[];
  try {
    sources = await sourcesOf(positionals, window, (line) => io.err(`kms-warden replay: ${plainLine(line, 500)}`));
  } catch (error) {
    if (!(error instanceof UnreadableFileError || error instanceof UsageError)) throw error;
    io.err(`kms-warden replay: ${plainLine(error.message, 1000)}`);
    return 2;
  }
  const progress = progressLine(io, sources.length);
  let sourcesDone = 0;
  let events = 0;
  const onSourceDone = () => {
    sourcesDone += 1;
    progress.update(sourcesDone, events);
  };
  const archiveFactory = archivesByRegion((region) =>
    import('../composition/replay').then((m) => m.cloudTrailArchive(region)),
  );
  const batches =
    workers === 0
      ? preparedInProcess(sources, options, { archive: archiveFactory, onSourceDone })
      : preparedInParallel(sources, options, { workers, onSourceDone });
  // Signals grouped into stories as the responder groups them into incidents: in JSON each story's line follows once
  // it is closed (past its window), in a table the stories come last.
  const stories = new StoryBook(settings.thresholds.correlationWindowHours);
  const closedStories: ReplayStory[] = [];
  let storyCount = 0;
  const stats = await replay(
    batches,
    settings,
    (signal) => {
      progress.clear();
      const story = stories.add(signal);
      io.out(values.json ? jsonLine(signal, story) : tableLine(signal));
      // Replay reorders within minutes: a story whose window ended an hour before this signal can grow no more.
      const watermark = new Date(Date.parse(signal.source.eventTime) - 3_600_000).toISOString();
      for (const closed of stories.closed(watermark)) {
        storyCount += 1;
        if (values.json) io.out(storyJson(closed));
        else closedStories.push(closed);
      }
    },
    (count) => {
      events = count;
    },
  );
  progress.done();
  const rest = stories.rest();
  storyCount += rest.length;
  if (values.json) for (const story of rest) io.out(storyJson(story));
  else if (closedStories.length + rest.length > 0) {
    io.out('');
    io.out('Stories (one incident each, as the responder would have opened them):');
    for (const story of [...closedStories, ...rest]) io.out(`  ${storyTableLine(story)}`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // A problem quotes the input (a file or object name, JSON.parse's excerpt of the text): escaped, and cut short.
  for (const problem of stats.problems) io.err(`malformed: ${plainLine(problem, 500)}`);
  for (const problem of stats.unreadableSources) io.err(`unreadable: ${plainLine(problem, 500)}`);
  const unreadable = stats.unreadable > 0 ? `, ${stats.unreadable} unreadable` : '';
  io.err(
    `replayed ${stats.events} events from ${sources.length} file(s) in ${seconds.toFixed(2)} s` +
      ` (${Math.round(stats.events / Math.max(seconds, 1e-9))} events/s): ${stats.signals} signals in ${storyCount} stor${storyCount === 1 ? 'y' : 'ies'}, ${stats.malformed} malformed${unreadable}, ${stats.late} out of order${
        stats.secondCopies > 0 ? `, ${stats.secondCopies} second records of cross-account calls left out` : ''
      }`,
  );
  // Signals found in what was read are printed; a source not read to its end is a failure to say, not to hide.
  return stats.unreadable > 0 ? 2 : 0;
};
