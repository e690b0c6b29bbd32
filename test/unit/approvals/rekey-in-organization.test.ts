import { onlyKeysOf, type RekeyWorkflow } from '../../../src/approvals/ports';

const run = (keyArn: string) => ({ incidentId: 'kw-1', keyArn, pendingWindowDays: 30, startedBy: 'alice' });

describe('approving a re-key in organization mode', () => {
  const started: string[] = [];
  const workflow: RekeyWorkflow = {
    start: async (r) => (started.push(r.keyArn), { started: true, detail: 'started' }),
    resume: async () => true,
  };
  const central = onlyKeysOf('111122223333', workflow);

  it('starts the workflow for a key of the central account', async () => {
    expect(await central.start(run('arn:aws:kms:eu-west-1:111122223333:key/1'))).toEqual({
      started: true,
      detail: 'started',
    });
  });

  it("records the approval of a member account's key, starts nothing, and says how to re-key it", async () => {
    const answer = await central.start(run('arn:aws:kms:eu-west-1:222233334444:key/2'));
    expect(answer.started).toBe(false);
    expect(answer.detail).toContain('a key of account 222233334444 is not carried out from the central account yet');
    expect(answer.detail).toContain('npx kms-warden rekey run arn:aws:kms:eu-west-1:222233334444:key/2 --yes');
    expect(started).toEqual(['arn:aws:kms:eu-west-1:111122223333:key/1']);
    expect(await central.resume('token', { by: 'alice', why: 'x' } as never)).toBe(true);
  });
});
