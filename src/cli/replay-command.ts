import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { defaultDetectionSettings, type DetectionSettings, type Signal } from '../detections/detection';
import { parseDetectionSettings } from '../detections/settings';
import { UnreadableFileError } from '../errors';
import { preparedInParallel, preparedInProcess } from '../replay/prepared-batches';
import { replay } from '../replay/replay';
import type { CommandIo } from './io';

export const replayUsage = `Usage: kms-warden replay [--json] [--trusted-accounts ID,...] [--config FILE] FILE...

Runs every detector over CloudTrail files ({"Records":[...]} as delivered to S3, NDJSON, plain or .gz) and
EventBridge events, in event-time order with in-memory state, and prints the signals.

Options:
  --json                   one JSON object per signal and line
  --trusted-accounts IDS   comma-separated account ids that are not external
  --config FILE            settings as JSON: {"keyAdministrators": [...], "trustedAccounts": [...], "thresholds": {...}}
  --workers N              threads that parse and validate (default: CPUs - 1 above two CPUs, else 0: all in the main thread)

Exit codes: 0 input read (malformed lines are counted on stderr), 2 a file or the config cannot be read, or bad usage.`;

const jsonLine = (signal: Signal) =>
  JSON.stringify({
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

const tableLine = (signal: Signal) =>
  [
    signal.source.eventTime.replace(/\.\d{3}Z$/, 'Z'),
    signal.severity.padEnd(8),
    signal.detector.padEnd(31),
    signal.summary,
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
 * Moving prepared events between threads costs about as much as parsing them (measured: npm run bench:replay), so
 * worker threads pay off only with cores to spare beyond the main thread's detection work.
 */
const defaultWorkers = () => (availableParallelism() > 2 ? availableParallelism() - 1 : 0);

export const replayCommand = async (argv: string[], io: CommandIo): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
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
    io.err('kms-warden replay: name at least one file. See kms-warden replay --help.');
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
  const responderRoles = (process.env.RESPONDER_ROLE_ARNS ?? '')
    .split(',')
    .map((arn) => arn.trim())
    .filter(Boolean);
  const options = { responderRoles, settings };
  const batches =
    workers === 0 ? preparedInProcess(positionals, options) : preparedInParallel(positionals, options, workers);
  const started = process.hrtime.bigint();
  try {
    const stats = await replay(batches, settings, (signal) =>
      io.out(values.json ? jsonLine(signal) : tableLine(signal)),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    for (const problem of stats.problems) io.err(`malformed: ${problem}`);
    io.err(
      `replayed ${stats.events} events from ${positionals.length} file(s) in ${seconds.toFixed(2)} s` +
        ` (${Math.round(stats.events / Math.max(seconds, 1e-9))} events/s): ${stats.signals} signals, ${stats.malformed} malformed, ${stats.late} out of order`,
    );
    return 0;
  } catch (error) {
    if (error instanceof UnreadableFileError) {
      io.err(`kms-warden replay: ${error.message}`);
      return 2;
    }
    throw error;
  }
};
