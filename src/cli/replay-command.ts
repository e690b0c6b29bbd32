import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { defaultDetectionSettings, type DetectionSettings, type Signal } from '../detectors/detector';
import { parseDetectionSettings } from '../detectors/settings';
import { readInputs, UnreadableFileError, type RawInput } from '../replay/read-inputs';
import { replay } from '../replay/replay';
import type { CommandIo } from './io';

export const replayUsage = `Usage: kms-warden replay [--json] [--trusted-accounts ID,...] [--config FILE] FILE...

Runs every detector over CloudTrail files ({"Records":[...]} as delivered to S3, NDJSON, plain or .gz) and
EventBridge events, in event-time order with in-memory state, and prints the signals.

Options:
  --json                   one JSON object per signal and line
  --trusted-accounts IDS   comma-separated account ids that are not external
  --config FILE            settings as JSON: {"keyAdministrators": [...], "trustedAccounts": [...], "thresholds": {...}}

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
  [signal.source.eventTime.replace(/\.\d{3}Z$/, 'Z'), signal.severity.padEnd(8), signal.detector.padEnd(31), signal.summary].join('  ');

async function* allInputs(files: string[]): AsyncGenerator<RawInput> {
  for (const file of files) yield* readInputs(file);
}

const loadSettings = async (configFile: string | undefined, trustedAccounts: string | undefined): Promise<DetectionSettings> => {
  const fromFile = configFile ? parseDetectionSettings(JSON.parse(await readFile(configFile, 'utf8'))) : defaultDetectionSettings;
  if (!trustedAccounts) return fromFile;
  const extra = trustedAccounts.split(',').map((id) => id.trim()).filter(Boolean);
  return parseDetectionSettings({ ...fromFile, trustedAccounts: [...fromFile.trustedAccounts, ...extra] });
};

export const replayCommand = async (argv: string[], io: CommandIo): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, 'trusted-accounts': { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
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
  const started = process.hrtime.bigint();
  try {
    const stats = await replay(allInputs(positionals), settings, (signal) => io.out(values.json ? jsonLine(signal) : tableLine(signal)));
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
