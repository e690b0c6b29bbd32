import { chromiumCandidates, installCommand, planBrowser } from '../../support/browser';

describe('the browser the approval page is tested in', () => {
  const machine = {
    candidates: ['/usr/bin/chromium', '/usr/bin/chromium-browser'],
    executable: () => false,
    isRoot: true,
    hasAptGet: true,
    overridden: false,
  };

  it('uses the first chromium it finds', () => {
    expect(planBrowser({ ...machine, executable: (path) => path === '/usr/bin/chromium-browser' })).toEqual({
      kind: 'found',
      path: '/usr/bin/chromium-browser',
    });
  });

  it("installs Debian's chromium when there is none and it is root with apt-get", () => {
    expect(planBrowser(machine)).toEqual({ kind: 'install', path: '/usr/bin/chromium' });
  });

  it('fails with the command to run when it is not root', () => {
    const plan = planBrowser({ ...machine, isRoot: false });
    expect(plan.kind).toBe('cannot');
    expect(plan.kind === 'cannot' && plan.message).toContain(`sudo sh -c '${installCommand}'`);
  });

  it('fails saying so when there is no apt-get', () => {
    const plan = planBrowser({ ...machine, hasAptGet: false });
    expect(plan.kind === 'cannot' && plan.message).toMatch(/no apt-get.*KMS_WARDEN_CHROMIUM/);
  });

  it('never installs over a KMS_WARDEN_CHROMIUM that names nothing: that is a mistake to report', () => {
    const candidates = chromiumCandidates({ KMS_WARDEN_CHROMIUM: '/opt/missing/chrome' });
    expect(candidates[0]).toBe('/opt/missing/chrome');
    const plan = planBrowser({ ...machine, candidates, overridden: true });
    expect(plan.kind === 'cannot' && plan.message).toContain('/opt/missing/chrome');
  });
});
