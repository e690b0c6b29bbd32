import './log-level';
import { parseArgs } from 'node:util';
import { runLocalDemo } from '../local/demo';
import { processIo, type CommandIo } from './io';
import { replayCommand } from './replay-command';
import { rekeyCommand } from './rekey-command';
import { decisionCommand, incidentsCommand } from './incidents-command';
import { containCommand, inventoryCommand } from './key-commands';
import { handleCommand } from './handle-command';
import { doctorCommand } from './doctor-command';

// The SDK warns that its 2027 releases will need Node 22; the Lambda runtime is Node 22 and the README says so.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const usage = `kms-warden: incident response for AWS KMS

Usage:
  kms-warden local [--auto-approve] [--json]   run the local demo against an emulator (npm start)
  kms-warden replay [--json] FILE...           run the detectors over CloudTrail files
  kms-warden handle [--json] FILE...           respond to the events in files, as the deployed functions would
  kms-warden doctor [--stage S] [--region R]   check the account is set up for detection, and how to fix it
  kms-warden rekey plan|run|status|ack|approve-deletion ...
                                               replace a key and move every resource off it
  kms-warden incidents list|show ...           the incidents and their timelines
  kms-warden inventory KEY                     what a key protects, service by service
  kms-warden contain KEY [--principal ARN] [--disable] [--yes]
                                               the manual isolation step: plan, then apply with --yes
  kms-warden approve|reject|release|disable INCIDENT [--yes]
                                               decide, as a link or a Slack button would
  kms-warden COMMAND --help

Environment:
  AWS_ENDPOINT_URL  an emulator for "local" to use instead of starting moto_server

Exit codes: 0 done, 1 failed, 2 usage error or unreadable input.`;

const localUsage = `Usage: kms-warden local [--auto-approve] [--json]

Starts moto_server (or uses AWS_ENDPOINT_URL), creates kms-warden's resources from serverless.yml, plays an attack
through the real handler and prints what happened.

Options:
  --auto-approve   never wait for a person (CI and scripts)
  --json           one JSON object per step and line`;

const localCommand = async (argv: string[], io: CommandIo): Promise<number> => {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean' }, 'auto-approve': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.out(localUsage);
    return 0;
  }
  await runLocalDemo({ json: values.json ?? false, autoApprove: values['auto-approve'] ?? false, write: io.out });
  return 0;
};

const commands: Record<string, (argv: string[], io: CommandIo) => Promise<number>> = {
  local: localCommand,
  replay: replayCommand,
  rekey: rekeyCommand,
  incidents: incidentsCommand,
  approve: decisionCommand('approve'),
  reject: decisionCommand('reject'),
  release: decisionCommand('release'),
  disable: decisionCommand('disable'),
  inventory: inventoryCommand,
  contain: containCommand,
  handle: handleCommand,
  doctor: doctorCommand,
};

export const main = async (argv: string[], io: CommandIo = processIo): Promise<number> => {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.out(usage);
    return command ? 0 : 2;
  }
  const run = commands[command];
  if (!run) {
    io.err(`kms-warden: unknown command "${command}". See kms-warden --help.`);
    return 2;
  }
  try {
    return await run(rest, io);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`kms-warden ${command}: ${(error as Error).message}. See kms-warden ${command} --help.`);
      return 2;
    }
    io.err(`kms-warden ${command}: ${(error as Error).message}`);
    return 1;
  }
};

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
