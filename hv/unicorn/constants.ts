/**
 * Unicorn Engine constants for the ARM (Cortex-M) target, as compiled from the headers of Debian's
 * libunicorn-dev 2.0.1.post1 (include/unicorn/unicorn.h and arm.h) and cross-checked against
 * the libraries. The ARM register, CPU model, hook and control numbers are the same in 2.0.1,
 * 2.1.1 (the version hvlab runs on, hv/unicorn/library-path.ts) and 2.1.4, which only appends a
 * register at the end of the list; 2.1 adds control numbers (TLB_FLUSH, TLB_TYPE,
 * TCG_BUFFER_SIZE, CONTEXT_MODE) after TB_FLUSH. An older comment here said newer releases
 * renumber registers and CPU models: they do not.
 */

/** uc_arch */
export const UC_ARCH = {
  ARM: 1,
  ARM64: 2,
  MIPS: 3,
  X86: 4,
  PPC: 5,
  SPARC: 6,
  M68K: 7,
  RISCV: 8,
  S390X: 9,
  TRICORE: 10,
  MAX: 11,
} as const;

/** uc_mode (subset relevant to ARM; values are bit flags, several names alias the same bit on other arches).
 *  For Cortex-M4 in 2.0.1 use THUMB (+ uc_ctl CPU_MODEL = CORTEX_M4); do NOT add MCLASS: it forces Cortex-M33. */
export const UC_MODE = {
  LITTLE_ENDIAN: 0,
  BIG_ENDIAN: 1073741824, // 1 << 30
  ARM: 0,
  THUMB: 16, // 1 << 4
  MCLASS: 32, // 1 << 5  (deprecated; in 2.0.1 forces UC_CPU_ARM_CORTEX_M33)
  V8: 64, // 1 << 6
  ARMBE8: 1024, // 1 << 10
  ARM926: 128, // 1 << 7 (deprecated)
  ARM946: 256, // 1 << 8 (deprecated)
  ARM1176: 512, // 1 << 9 (deprecated)
} as const;

/** uc_err (return codes; uc_strerror() gives text) */
export const UC_ERR = {
  OK: 0,
  NOMEM: 1,
  ARCH: 2,
  HANDLE: 3,
  MODE: 4,
  VERSION: 5,
  READ_UNMAPPED: 6,
  WRITE_UNMAPPED: 7,
  FETCH_UNMAPPED: 8,
  HOOK: 9,
  INSN_INVALID: 10,
  MAP: 11,
  WRITE_PROT: 12,
  READ_PROT: 13,
  FETCH_PROT: 14,
  ARG: 15,
  READ_UNALIGNED: 16,
  WRITE_UNALIGNED: 17,
  FETCH_UNALIGNED: 18,
  HOOK_EXIST: 19,
  RESOURCE: 20,
  EXCEPTION: 21,
} as const;

/** uc_mem_type (the `type` argument of memory hook callbacks) */
export const UC_MEM = {
  READ: 16,
  WRITE: 17,
  FETCH: 18,
  READ_UNMAPPED: 19,
  WRITE_UNMAPPED: 20,
  FETCH_UNMAPPED: 21,
  WRITE_PROT: 22,
  READ_PROT: 23,
  FETCH_PROT: 24,
  READ_AFTER: 25,
} as const;

/** uc_hook_type bits (+ the combination macros from unicorn.h) */
export const UC_HOOK = {
  INTR: 1,
  INSN: 2,
  CODE: 4,
  BLOCK: 8,
  MEM_READ_UNMAPPED: 16,
  MEM_WRITE_UNMAPPED: 32,
  MEM_FETCH_UNMAPPED: 64,
  MEM_READ_PROT: 128,
  MEM_WRITE_PROT: 256,
  MEM_FETCH_PROT: 512,
  MEM_READ: 1024,
  MEM_WRITE: 2048,
  MEM_FETCH: 4096,
  MEM_READ_AFTER: 8192,
  INSN_INVALID: 16384,
  EDGE_GENERATED: 32768,
  TCG_OPCODE: 65536,
  MEM_UNMAPPED: 112,  // READ_UNMAPPED|WRITE_UNMAPPED|FETCH_UNMAPPED
  MEM_PROT: 896,  // READ_PROT|WRITE_PROT|FETCH_PROT
  MEM_READ_INVALID: 144,  // READ_PROT|READ_UNMAPPED
  MEM_WRITE_INVALID: 288,  // WRITE_PROT|WRITE_UNMAPPED
  MEM_FETCH_INVALID: 576,  // FETCH_PROT|FETCH_UNMAPPED
  MEM_INVALID: 1008,  // MEM_UNMAPPED|MEM_PROT
  MEM_VALID: 7168,  // MEM_READ|MEM_WRITE|MEM_FETCH
} as const;

/** uc_prot */
export const UC_PROT = {
  NONE: 0,
  READ: 1,
  WRITE: 2,
  EXEC: 4,
  ALL: 7,
} as const;

/** Control words, UC_CTL(type, nr, rw) = type | nr << 26 | rw << 30 (checked against the C macros compiled with the 2.0.1 headers; TCG_BUFFER_SIZE from 2.1.1's). */
export const UC_CTL = {
  READ_MODE: 0x84000000, // UC_CTL_READ(UC_CTL_UC_MODE, 1), arg: int*
  READ_PAGE_SIZE: 0x84000001, // UC_CTL_READ(UC_CTL_UC_PAGE_SIZE, 1), arg: uint32_t*
  WRITE_PAGE_SIZE: 0x44000001, // UC_CTL_WRITE(UC_CTL_UC_PAGE_SIZE, 1), arg: uint32_t (before init only)
  READ_ARCH: 0x84000002, // UC_CTL_READ(UC_CTL_UC_ARCH, 1), arg: int*
  READ_TIMEOUT: 0x84000003, // UC_CTL_READ(UC_CTL_UC_TIMEOUT, 1), arg: uint64_t*
  WRITE_USE_EXITS: 0x44000004, // UC_CTL_WRITE(UC_CTL_UC_USE_EXITS, 1), arg: int
  READ_EXITS_CNT: 0x84000005, // UC_CTL_READ(UC_CTL_UC_EXITS_CNT, 1), arg: size_t*
  READ_EXITS: 0x88000006, // UC_CTL_READ(UC_CTL_UC_EXITS, 2), args: uint64_t*, size_t
  WRITE_EXITS: 0x48000006, // UC_CTL_WRITE(UC_CTL_UC_EXITS, 2), args: uint64_t*, size_t
  READ_CPU_MODEL: 0x84000007, // UC_CTL_READ(UC_CTL_CPU_MODEL, 1), arg: int*  (NB: triggers engine init)
  WRITE_CPU_MODEL: 0x44000007, // UC_CTL_WRITE(UC_CTL_CPU_MODEL, 1), arg: int (only before any other API call)
  READ_WRITE_TB_REQUEST_CACHE: 0xc8000008, // UC_CTL_READ_WRITE(UC_CTL_TB_REQUEST_CACHE, 2), args: uint64_t, uc_tb*
  WRITE_TB_REMOVE_CACHE: 0x48000009, // UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), args: uint64_t begin, uint64_t end (end > begin)
  WRITE_TB_FLUSH: 0x4000000a, // UC_CTL_WRITE(UC_CTL_TB_FLUSH, 0) == uc_ctl_flush_tlb(); no args. READ variant -> UC_ERR_ARG
  WRITE_TCG_BUFFER_SIZE: 0x4400000d, // UC_CTL_WRITE(UC_CTL_TCG_BUFFER_SIZE, 1), arg: uint32_t bytes (before init only; 2.1+)
} as const;

/** uc_cpu_arm (value for UC_CTL_CPU_MODEL). NB: A7 precedes A8 and PXA270 exists in 2.0.1. */
export const UC_CPU_ARM = {
  '926': 0,
  '946': 1,
  '1026': 2,
  '1136_R2': 3,
  '1136': 4,
  '1176': 5,
  '11MPCORE': 6,
  CORTEX_M0: 7,
  CORTEX_M3: 8,
  CORTEX_M4: 9,
  CORTEX_M7: 10,
  CORTEX_M33: 11,
  CORTEX_R5: 12,
  CORTEX_R5F: 13,
  CORTEX_A7: 14,
  CORTEX_A8: 15,
  CORTEX_A9: 16,
  CORTEX_A15: 17,
  TI925T: 18,
  SA1100: 19,
  SA1110: 20,
  PXA250: 21,
  PXA255: 22,
  PXA260: 23,
  PXA261: 24,
  PXA262: 25,
  PXA270: 26,
  PXA270A0: 27,
  PXA270A1: 28,
  PXA270B0: 29,
  PXA270B1: 30,
  PXA270C0: 31,
  PXA270C5: 32,
  MAX: 33,
  ENDING: 34,
} as const;

/** uc_arm_reg (register ids for uc_reg_read/uc_reg_write). Aliases R13/R14/R15/SB/SL/FP/IP included. */
export const ARM_REG = {
  INVALID: 0,
  APSR: 1,
  APSR_NZCV: 2,
  CPSR: 3,
  FPEXC: 4,
  FPINST: 5,
  FPSCR: 6,
  FPSCR_NZCV: 7,
  FPSID: 8,
  ITSTATE: 9,
  LR: 10,
  PC: 11,
  SP: 12,
  SPSR: 13,
  D0: 14,
  D1: 15,
  D2: 16,
  D3: 17,
  D4: 18,
  D5: 19,
  D6: 20,
  D7: 21,
  D8: 22,
  D9: 23,
  D10: 24,
  D11: 25,
  D12: 26,
  D13: 27,
  D14: 28,
  D15: 29,
  D16: 30,
  D17: 31,
  D18: 32,
  D19: 33,
  D20: 34,
  D21: 35,
  D22: 36,
  D23: 37,
  D24: 38,
  D25: 39,
  D26: 40,
  D27: 41,
  D28: 42,
  D29: 43,
  D30: 44,
  D31: 45,
  FPINST2: 46,
  MVFR0: 47,
  MVFR1: 48,
  MVFR2: 49,
  Q0: 50,
  Q1: 51,
  Q2: 52,
  Q3: 53,
  Q4: 54,
  Q5: 55,
  Q6: 56,
  Q7: 57,
  Q8: 58,
  Q9: 59,
  Q10: 60,
  Q11: 61,
  Q12: 62,
  Q13: 63,
  Q14: 64,
  Q15: 65,
  R0: 66,
  R1: 67,
  R2: 68,
  R3: 69,
  R4: 70,
  R5: 71,
  R6: 72,
  R7: 73,
  R8: 74,
  R9: 75,
  R10: 76,
  R11: 77,
  R12: 78,
  S0: 79,
  S1: 80,
  S2: 81,
  S3: 82,
  S4: 83,
  S5: 84,
  S6: 85,
  S7: 86,
  S8: 87,
  S9: 88,
  S10: 89,
  S11: 90,
  S12: 91,
  S13: 92,
  S14: 93,
  S15: 94,
  S16: 95,
  S17: 96,
  S18: 97,
  S19: 98,
  S20: 99,
  S21: 100,
  S22: 101,
  S23: 102,
  S24: 103,
  S25: 104,
  S26: 105,
  S27: 106,
  S28: 107,
  S29: 108,
  S30: 109,
  S31: 110,
  C1_C0_2: 111,
  C13_C0_2: 112,
  C13_C0_3: 113,
  IPSR: 114,
  MSP: 115,
  PSP: 116,
  CONTROL: 117,
  IAPSR: 118,
  EAPSR: 119,
  XPSR: 120,
  EPSR: 121,
  IEPSR: 122,
  PRIMASK: 123,
  BASEPRI: 124,
  BASEPRI_MAX: 125,
  FAULTMASK: 126,
  APSR_NZCVQ: 127,
  APSR_G: 128,
  APSR_NZCVQG: 129,
  IAPSR_NZCVQ: 130,
  IAPSR_G: 131,
  IAPSR_NZCVQG: 132,
  EAPSR_NZCVQ: 133,
  EAPSR_G: 134,
  EAPSR_NZCVQG: 135,
  XPSR_NZCVQ: 136,
  XPSR_G: 137,
  XPSR_NZCVQG: 138,
  CP_REG: 139,
  ENDING: 140,
  R13: 12,
  R14: 10,
  R15: 11,
  SB: 75,
  SL: 76,
  FP: 77,
  IP: 78,
} as const;
