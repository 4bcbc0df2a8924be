import { afterEach, expect, it } from 'vitest';
import { ARM_REG as R } from '../../hv/unicorn/constants.ts';
import { CortexMRig, thumbAddress } from '../helpers/cortex-m-rig.ts';
import { thumb } from '../helpers/thumb.ts';

it('svc scratch', () => {
  const rig = new CortexMRig({
    vectors: { 0: 0x20001000, 1: thumbAddress(0x100), 11: thumbAddress(0x200) },
    code: [
      [0x100, thumb([0x4280, 0xdf01, 0x2401, 0xe7fe])],
      [0x200, thumb([0x2001, 0x2802, 0x2100, 0x2200, 0x2300, 0x4684, 0x4770])],
    ],
  });
  for (const [id, v] of [[R.R0, 0x10], [R.R1, 0x11], [R.R2, 0x12], [R.R3, 0x13], [R.R12, 0x1c], [R.LR, 0x0badc0de]]) rig.engine.writeRegister(id!, v!);
  for (let i = 0; i < 4; i++) {
    const o = rig.cpu.step();
    console.log(i, o, rig.cpu.pc().toString(16), rig.log, rig.reg(R.R4));
  }
  console.log(JSON.stringify(rig.entries), JSON.stringify(rig.returns), rig.traps);
  console.log([R.R0,R.R1,R.R2,R.R3,R.R12,R.LR,R.SP,R.XPSR].map(r=>rig.reg(r).toString(16)));
  rig.close();
});
