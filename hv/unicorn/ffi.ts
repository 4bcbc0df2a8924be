/**
 * The prototype table: every libunicorn function hvlab calls, declared once per process through
 * koffi. koffi refuses to declare the same type name twice, and test runners may evaluate this
 * module more than once in one process, so the bindings are cached on a global symbol.
 */
import koffi, { type LibraryHandle } from 'koffi';
import { NativeLibraryError } from '../errors.ts';
import { unicornLibrary, unpackVersion, versionProblem } from './library-path.ts';

function load(path: string): LibraryHandle {
  try {
    return koffi.load(path);
  } catch (cause) {
    throw new NativeLibraryError(
      `cannot load ${path}: ${(cause as Error).message}; run scripts/install-deps.sh (it installs Unicorn 2.1.1)`,
      { cause },
    );
  }
}

/** Refuses a libunicorn whose version is known to be slow or broken (see library-path.ts). */
function checkVersion(lib: LibraryHandle, path: string): number {
  const word = lib.func('unsigned int uc_version(unsigned int *major, unsigned int *minor)')(null, null) as number;
  const problem = versionProblem(unpackVersion(word >>> 0));
  if (problem) throw new NativeLibraryError(`${path}: ${problem}`);
  return word >>> 0;
}

function declare() {
  const path = unicornLibrary();
  const lib = load(path);
  const version = checkVersion(lib, path);
  koffi.opaque('uc_engine');
  koffi.opaque('uc_context');
  const mmioRead = koffi.proto(
    'uint64_t hv_mmio_read_cb(uc_engine *uc, uint64_t offset, unsigned int size, void *user_data)',
  );
  const mmioWrite = koffi.proto(
    'void hv_mmio_write_cb(uc_engine *uc, uint64_t offset, unsigned int size, uint64_t value, void *user_data)',
  );
  const protos = {
    hookCode: koffi.proto('void hv_hook_code_cb(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)'),
    hookIntr: koffi.proto('void hv_hook_intr_cb(uc_engine *uc, uint32_t intno, void *user_data)'),
    hookMem: koffi.proto(
      'bool hv_hook_mem_cb(uc_engine *uc, int type, uint64_t address, int size, int64_t value, void *user_data)',
    ),
    hookInsnInvalid: koffi.proto('bool hv_hook_insn_invalid_cb(uc_engine *uc, void *user_data)'),
    mmioRead,
    mmioWrite,
    // The counter's MMIO trampolines call devices with 32-bit arguments (native/mmio.c).
    mmioRead32: koffi.proto('uint32_t hv_mmio_read32_cb(uint32_t offset, uint32_t size)'),
    mmioWrite32: koffi.proto('void hv_mmio_write32_cb(uint32_t offset, uint32_t size, uint32_t value)'),
  };
  const fn = {
    version: lib.func('unsigned int uc_version(_Out_ unsigned int *major, _Out_ unsigned int *minor)'),
    open: lib.func('int uc_open(int arch, int mode, _Out_ uc_engine **uc)'),
    close: lib.func('int uc_close(uc_engine *uc)'),
    strerror: lib.func('const char *uc_strerror(int code)'),
    ctl: lib.func('int uc_ctl(uc_engine *uc, int control, ...)'),
    memMap: lib.func('int uc_mem_map(uc_engine *uc, uint64_t address, size_t size, uint32_t perms)'),
    memMapPtr: lib.func('int uc_mem_map_ptr(uc_engine *uc, uint64_t address, size_t size, uint32_t perms, void *ptr)'),
    memUnmap: lib.func('int uc_mem_unmap(uc_engine *uc, uint64_t address, size_t size)'),
    memProtect: lib.func('int uc_mem_protect(uc_engine *uc, uint64_t address, size_t size, uint32_t perms)'),
    memRead: lib.func('int uc_mem_read(uc_engine *uc, uint64_t address, _Out_ void *bytes, size_t size)'),
    memWrite: lib.func('int uc_mem_write(uc_engine *uc, uint64_t address, const void *bytes, size_t size)'),
    mmioMap: lib.func(
      'int uc_mmio_map(uc_engine *uc, uint64_t address, size_t size, hv_mmio_read_cb *read_cb, void *user_data_read, hv_mmio_write_cb *write_cb, void *user_data_write)',
    ),
    regRead: lib.func('int uc_reg_read(uc_engine *uc, int regid, _Out_ void *value)'),
    regWrite: lib.func('int uc_reg_write(uc_engine *uc, int regid, const void *value)'),
    regReadBatch: lib.func('int uc_reg_read_batch(uc_engine *uc, int *regs, void *vals, int count)'),
    regWriteBatch: lib.func('int uc_reg_write_batch(uc_engine *uc, int *regs, void *vals, int count)'),
    hookAdd: lib.func(
      'int uc_hook_add(uc_engine *uc, _Out_ size_t *hh, int type, void *callback, void *user_data, uint64_t begin, uint64_t end, ...)',
    ),
    hookDel: lib.func('int uc_hook_del(uc_engine *uc, size_t hh)'),
    emuStart: lib.func('int uc_emu_start(uc_engine *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count)'),
    emuStop: lib.func('int uc_emu_stop(uc_engine *uc)'),
    contextAlloc: lib.func('int uc_context_alloc(uc_engine *uc, _Out_ uc_context **context)'),
    contextSave: lib.func('int uc_context_save(uc_engine *uc, uc_context *context)'),
    contextRestore: lib.func('int uc_context_restore(uc_engine *uc, uc_context *context)'),
    contextFree: lib.func('int uc_context_free(uc_context *context)'),
  };
  return { lib, fn, protos, path, version };
}

export type UnicornBindings = ReturnType<typeof declare>;

const CACHE_KEY = Symbol.for('hvlab.unicorn.ffi');

/** The process-wide libunicorn bindings (loaded on first use). */
export function unicorn(): UnicornBindings {
  const store = globalThis as unknown as Record<symbol, UnicornBindings | undefined>;
  return (store[CACHE_KEY] ??= declare());
}
