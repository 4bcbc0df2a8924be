/** Checks made when a system boots, beyond the system file's schema. */
import { describe, expect, it } from 'vitest';
import { validateSystem } from '../../hv/core/system-config.ts';
import { ConfigError } from '../../hv/errors.ts';
import { Session } from '../../hv/system/session.ts';
import { defaultCosts, vcpuSwitchCycles } from '../../hv/time/cost-model.ts';
import { imagePath } from '../helpers/run-system.ts';
import { rejected } from '../helpers/thrown.ts';

const SWITCH = vcpuSwitchCycles(defaultCosts());

function system(slice: number) {
  return validateSystem({ 'slice-cycles': slice, guests: [{ name: 'a', image: imagePath('hello') }, { name: 'b', image: imagePath('hello') }] }, 's.yaml');
}

describe('slice-cycles against the vCPU switch', () => {
  it('refuses a slice that the vCPU switch would eat (no instruction would ever run), naming the field and the least slice', async () => {
    const error = await rejected(() => Session.open(system(SWITCH)), ConfigError, 'HV_CONFIG');
    expect(error.message).toBe(`s.yaml: slice-cycles: ${SWITCH} leaves the guest 0 cycles per slice after a vCPU switch of ${SWITCH} cycles (with this cost table); use at least ${SWITCH + 100}`);
  });

  it('refuses one that a larger switch cost from a cost table eats', async () => {
    const costs = { ...defaultCosts(), schedulerDecision: { cycles: 5000, source: 'test' } };
    await rejected(() => Session.open(system(1000), { costs }), ConfigError, 'HV_CONFIG');
  });

  it('runs a system with the least slice allowed to its end', async () => {
    const session = await Session.open(system(SWITCH + 100));
    try {
      expect(session.runUntil().reason).toBe('all-stopped');
      expect(session.results().guests.map((g) => g.exitCode)).toEqual([0, 0]);
    } finally {
      session.close();
    }
  });
});
