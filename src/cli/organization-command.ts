import { parseArgs } from 'node:util';
import { memberTemplateOfRepository } from '../local/member-template-source';
import { serviceControlPolicy } from '../organization/service-control-policy';
import type { CommandIo } from './io';

const usage = `Usage: kms-warden organization member-template [--json]
       kms-warden organization scp [--stage STAGE] [--json]

  member-template   print the member CloudFormation template (JSON): deploy it to the organization's accounts and
                    Regions as a service-managed StackSet (README, "Deploying to an organization")
  scp               print the service control policy (JSON) that keeps member accounts' administrators from changing
                    or creating kms-warden's member role, forwarders and rules (default stage: prod)`;

/** `kms-warden organization ...`: what deploying to an organization needs. */
export const organizationCommand = async (argv: string[], io: CommandIo): Promise<number> => {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean' }, json: { type: 'boolean' }, stage: { type: 'string' } },
  });
  if (values.help) {
    io.out(usage);
    return 0;
  }
  const [what] = positionals;
  if (positionals.length !== 1 || (what !== 'member-template' && what !== 'scp')) {
    io.err(usage);
    return 2;
  }
  if (values.stage !== undefined && (what !== 'scp' || !/^[a-z0-9-]{1,16}$/.test(values.stage))) {
    io.err(
      `kms-warden organization: --stage goes with scp and takes a stage name (a-z, 0-9, -), not "${values.stage}"`,
    );
    return 2;
  }
  const document = what === 'scp' ? serviceControlPolicy(values.stage ?? 'prod') : memberTemplateOfRepository();
  // JSON either way: --json prints it on one line.
  io.out(values.json ? JSON.stringify(document) : JSON.stringify(document, null, 2));
  return 0;
};
