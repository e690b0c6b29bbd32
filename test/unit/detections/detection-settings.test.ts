import { parseDetectionSettings } from '../../../src/detections/settings';

describe("replay's --config settings", () => {
  it('reads trusted organizations, none by default', () => {
    expect(parseDetectionSettings({}).trustedOrganizations).toEqual([]);
    expect(parseDetectionSettings({ trustedOrganizations: ['o-a1b2c3d4e5'] }).trustedOrganizations).toEqual([
      'o-a1b2c3d4e5',
    ]);
  });

  it.each([['o-short'], ['111122223333'], ['O-A1B2C3D4E5']])('refuses %s as an organization id', (id) => {
    expect(() => parseDetectionSettings({ trustedOrganizations: [id] })).toThrow(/must be an organization id/);
  });
});
