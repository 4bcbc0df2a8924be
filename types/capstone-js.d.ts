/** The parts of @alexaltea/capstone-js (Capstone 5 compiled to WebAssembly) hvlab uses. */
declare module '@alexaltea/capstone-js' {
  export interface CapstoneInstruction {
    readonly id: number;
    /** A BigInt for 64-bit address spaces. */
    readonly address: number | bigint;
    readonly size: number;
    readonly mnemonic: string;
    readonly op_str: string;
  }
  export interface CapstoneDecoder {
    /** Throws a string when the first instruction is invalid. */
    disasm(bytes: ArrayLike<number>, address: number, count?: number): CapstoneInstruction[];
    close(): void;
  }
  export interface CapstoneModule {
    readonly ARCH_ARM: number;
    readonly MODE_THUMB: number;
    readonly MODE_MCLASS: number;
    Capstone: new (arch: number, mode: number) => CapstoneDecoder;
  }
  const load: () => Promise<CapstoneModule>;
  export default load;
}
