import { parseArgs } from 'node:util';
import { runLocalDemo, scenarios, type ScenarioName } from '../local/demo';
import type { CommandIo } from './io';

const localUsage = `Usage: kms-warden local [--scenario NAME] [--auto-approve] [--json]

Starts moto_server (or uses AWS_ENDPOINT_URL), creates kms-warden's resources from serverless.yml and a small
account (a "payments" key protecting a secret, parameters, a bucket, a volume and snapshot, a table, a database),
plays an attack through the real rule patterns and handlers, prints each incident and an approval link served on
localhost, and waits: approving re-keys the key with the deployed workflow definition, then asks to delete the old one.

Options:
  --scenario NAME  ${Object.entries(scenarios)
    .map(([name, text]) => `${name}: ${text}`)
    .join('\n                   ')}
                   (default stolen-role)
  --auto-approve   press the buttons and play the person; never wait (CI and scripts)
  --json           one JSON object per step and line`;

export const localCommand = async (argv: string[], io: CommandIo): Promise<number> => {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean' },
      'auto-approve': { type: 'boolean' },
      scenario: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(localUsage);
    return 0;
  }
  const scenario = values.scenario ?? 'stolen-role';
  if (!(scenario in scenarios)) {
    io.err(
      `kms-warden local: no scenario "${scenario}" (one of ${Object.keys(scenarios).join(', ')}). See kms-warden local --help.`,
    );
    return 2;
  }
  if (!values['auto-approve'] && !process.stdin.isTTY) {
    io.err('kms-warden local: without a terminal nobody can press the buttons; run it with --auto-approve.');
    return 2;
  }
  const result = await runLocalDemo({
    json: values.json ?? false,
    autoApprove: values['auto-approve'] ?? false,
    scenario: scenario as ScenarioName,
    write: io.out,
  });
  return result.failed ? 1 : 0;
};
