import { parseArgs } from 'node:util';
import { runLocalDemo } from '../local/demo';

const usage = `kms-warden: incident response for AWS KMS

Usage:
  kms-warden local [--auto-approve] [--json]   run the local demo against an emulator (npm start)
  kms-warden --help

Options:
  --auto-approve   never wait for a person (CI and scripts)
  --json           one JSON object per line instead of text

Environment:
  AWS_ENDPOINT_URL  an emulator to use instead of starting moto_server

Exit codes: 0 done, 1 failed, 2 usage error.`;

// The SDK warns that its 2027 releases will need Node 22; the Lambda runtime is Node 22 and the README says so.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const main = async (
  argv: string[],
  write: (line: string) => void = (line) => void process.stdout.write(`${line}\n`),
): Promise<number> => {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' }, 'auto-approve': { type: 'boolean' } },
    });
  } catch (error) {
    process.stderr.write(`kms-warden: ${(error as Error).message}. See kms-warden --help.\n`);
    return 2;
  }
  const [command] = parsed.positionals;
  if (parsed.values.help || !command) {
    write(usage);
    return parsed.values.help ? 0 : 2;
  }
  if (command !== 'local') {
    process.stderr.write(`kms-warden: unknown command "${command}". See kms-warden --help.\n`);
    return 2;
  }
  try {
    await runLocalDemo({ json: parsed.values.json ?? false, autoApprove: parsed.values['auto-approve'] ?? false, write });
    return 0;
  } catch (error) {
    process.stderr.write(`kms-warden: ${(error as Error).message}\n`);
    return 1;
  }
};

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
