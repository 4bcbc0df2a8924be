/** The architecture behind each CPU a board may name (the one place that picks an arch folder). */
import type { BoardDescription } from '../../devices/platforms/board.ts';
import { ARMV7M } from '../arch/armv7m/arch.ts';
import type { ArchOps } from '../arch/cpu.ts';

const ARCHITECTURES: Record<BoardDescription['cpu'], ArchOps> = {
  'cortex-m4': ARMV7M,
};

export function archFor(board: BoardDescription): ArchOps {
  return ARCHITECTURES[board.cpu];
}
