/**
 * Error classes of hvlab. One class per kind, each with a stable `code` that scripts can match
 * on; never throw strings. Errors caused by user input (arguments, files, configuration) derive
 * from {@link InputError} so that the CLI can map them to exit status 2.
 */
export abstract class HvError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input from the user: the CLI exits with status 2. */
export abstract class InputError extends HvError {}

/** A command-line argument is missing or malformed. */
export class UsageError extends InputError {
  readonly code = 'HV_USAGE';
}

/** A system file (YAML) or another configuration file is unreadable or invalid. */
export class ConfigError extends InputError {
  readonly code = 'HV_CONFIG';
}

/** A guest image (ELF or raw binary) cannot be loaded. The message names the file and reason. */
export class ImageError extends InputError {
  readonly code = 'HV_IMAGE';
}

/** The Unicorn engine reported an error; `ucCode` is Unicorn's own error name (UC_ERR_*). */
export class UnicornError extends HvError {
  readonly code = 'HV_UNICORN';

  constructor(
    readonly ucCode: string,
    message: string,
  ) {
    super(message);
  }
}

/** The native part of the Unicorn binding (libunicorn or the instruction counter) is unusable. */
export class NativeLibraryError extends HvError {
  readonly code = 'HV_NATIVE';
}

/** An internal invariant of the hypervisor was violated: a bug in hvlab, never the guest's fault. */
export class InternalError extends HvError {
  readonly code = 'HV_INTERNAL';
}

/**
 * Not an error of hvlab or of its user: a condition the guest caused, thrown only to unwind to
 * the place that turns it into the guest's own outcome (a bus fault, a device that needs a
 * reset). It never leaves the hypervisor.
 */
export abstract class GuestSignal extends Error {
  abstract readonly code: string;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A disk image is in use in a way that excludes this open: a second writer, or a reader of an
 * image that has a writer (in this process or another one, such as QEMU).
 */
export class ImageLockError extends InputError {
  readonly code = 'HV_IMAGE_LOCKED';
}

/**
 * A checkpoint file cannot be restored: truncated, corrupt, of another format version, made by
 * another build of hvlab, or of a system whose files have changed since.
 */
export class CheckpointError extends InputError {
  readonly code = 'HV_CHECKPOINT';
}

/** A result file cannot be written (a full disk, /dev/full): the CLI names the option that chose it. */
export class OutputError extends InputError {
  readonly code = 'HV_OUTPUT';

  constructor(
    readonly file: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: cannot write: ${reason}`, options);
  }
}

/**
 * A command was stopped by a shutdown signal (SIGINT, SIGTERM) after it shut down cleanly: the
 * CLI prints the message and exits with the shell's status for the signal (128 + its number).
 */
export class InterruptedError extends HvError {
  readonly code = 'HV_INTERRUPTED';

  constructor(
    readonly signal: string,
    message: string,
  ) {
    super(`${signal}: ${message}`);
  }
}
