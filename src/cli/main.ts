import './log-level';
import { processIo, type CommandIo } from './io';
import { errorHint } from './error-hint';

// The SDK warns that its 2027 releases will need Node 22; the Lambda runtime is Node 22 and the README says so.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const usage = `kms-warden: incident response for AWS KMS

Usage:
  kms-warden local [--scenario NAME] [--auto-approve] [--json]
                                               run the local demo against an emulator (npm start)
  kms-warden replay [--json] FILE...           run the detectors over CloudTrail files; changes nothing
  kms-warden handle [--yes] [--json] FILE...   respond to the events in files, as the deployed functions would
  kms-warden doctor [--stage S] [--region R]   check the account is set up for detection, and how to fix it
  kms-warden organization member-template      the member StackSet's template, for organization mode
  kms-warden rekey plan|run|status|ack|approve-deletion ...
                                               replace a key and move every resource off it
  kms-warden incidents list|show ...           the incidents and their timelines
  kms-warden inventory KEY                     what a key protects, service by service
  kms-warden contain KEY [--principal ARN] [--disable] [--yes]
                                               the manual isolation step: plan, then apply with --yes
  kms-warden approve|reject|release|disable INCIDENT [--yes]
                                               decide, as a link or a Slack button would
  kms-warden COMMAND --help

Every command takes --profile NAME and --region R (the standard AWS profile and Region), --json (results as JSON
on stdout, progress and errors on stderr) and --help. Commands that change something need --yes; without it they
say what they would do and change nothing.

Environment:
  AWS_ENDPOINT_URL  an emulator to use instead of AWS (for "local": instead of starting moto_server)

Exit codes: 0 done, 1 failed, 2 usage error or unreadable input.`;

type Command = (argv: string[], io: CommandIo) => Promise<number>;

/**
 * Every command, loaded when it is used: `--help` and a usage error load none of them, nor the AWS SDK. In the
 * built CLI (src/cli/build.cjs) each command is a file of its own, so a command loads only its own code.
 */
const commands: Record<string, () => Promise<Command>> = {
  local: async () => (await import('./local-command')).localCommand,
  replay: async () => (await import('./replay-command')).replayCommand,
  rekey: async () => (await import('./rekey-command')).rekeyCommand,
  incidents: async () => (await import('./incidents-command')).incidentsCommand,
  approve: async () => (await import('./incidents-command')).decisionCommand('approve'),
  reject: async () => (await import('./incidents-command')).decisionCommand('reject'),
  release: async () => (await import('./incidents-command')).decisionCommand('release'),
  disable: async () => (await import('./incidents-command')).decisionCommand('disable'),
  inventory: async () => (await import('./key-commands')).inventoryCommand,
  contain: async () => (await import('./key-commands')).containCommand,
  handle: async () => (await import('./handle-command')).handleCommand,
  doctor: async () => (await import('./doctor-command')).doctorCommand,
  organization: async () => (await import('./organization-command')).organizationCommand,
};

/** Every command's name, for the help and flag checks. */
export const commandNames = Object.keys(commands);

/** --profile and --region work the same for every command: they set the standard AWS environment before it runs. */
const globalFlags = (argv: string[]): string[] => {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i]!;
    const [name, inline] = flag.split('=', 2) as [string, string | undefined];
    if (name === '--profile' || name === '--region') {
      const value = inline ?? argv[++i];
      if (!value || value.startsWith('-'))
        throw Object.assign(new Error(`${name} needs a value`), { code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' });
      if (name === '--region' && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(value))
        throw new Error(`--region takes a Region name such as eu-west-1, not "${value}"`);
      if (name === '--profile' && !/^[\w+=,.@-]+$/.test(value))
        throw new Error(`--profile takes a profile name from ~/.aws/config, not "${value}"`);
      // Commands read the Region from AWS_REGION when they are not given one, so both land there.
      if (value) process.env[name === '--profile' ? 'AWS_PROFILE' : 'AWS_REGION'] = value;
      continue;
    }
    rest.push(flag);
  }
  return rest;
};

export const main = async (argv: string[], io: CommandIo = processIo): Promise<number> => {
  let parsed: string[];
  try {
    parsed = globalFlags(argv);
  } catch (error) {
    io.err(`kms-warden: ${(error as Error).message}. See kms-warden --help.`);
    return 2;
  }
  const [command, ...rest] = parsed;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.out(usage);
    return command ? 0 : 2;
  }
  const load = commands[command];
  if (!load) {
    io.err(`kms-warden: unknown command "${command}". See kms-warden --help.`);
    return 2;
  }
  try {
    const run = await load();
    return await run(rest, io);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`kms-warden ${command}: ${(error as Error).message}. See kms-warden ${command} --help.`);
      return 2;
    }
    const hint = errorHint(error as Error);
    io.err(`kms-warden ${command}: ${(error as Error).message}${hint ? `; ${hint}` : ''}`);
    // A missing or wrong setting is a usage error: the message names the variable to set.
    return (error as Error).name === 'ConfigError' ? 2 : 1;
  }
};

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
