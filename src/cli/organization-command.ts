import { parseArgs } from 'node:util';
import { memberTemplateOfRepository } from '../local/member-template-source';
import type { CommandIo } from './io';

const usage = `Usage: kms-warden organization member-template [--json]

  member-template   print the member CloudFormation template (JSON): deploy it to the organization's accounts and
                    Regions as a service-managed StackSet (README, "Deploying to an organization")`;

/** `kms-warden organization ...`: what deploying to an organization needs. */
export const organizationCommand = async (argv: string[], io: CommandIo): Promise<number> => {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean' }, json: { type: 'boolean' } },
  });
  if (values.help) {
    io.out(usage);
    return 0;
  }
  if (positionals[0] !== 'member-template' || positionals.length > 1) {
    io.err(usage);
    return 2;
  }
  const template = memberTemplateOfRepository();
  // The template is JSON either way: --json prints it on one line.
  io.out(values.json ? JSON.stringify(template) : JSON.stringify(template, null, 2));
  return 0;
};
