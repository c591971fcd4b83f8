/**
 * The one error tree of wsmesh. Every error the library raises or rejects with is a `WsmeshError` with a
 * stable `code` (for programs) and a message meant for people. Errors that closed a connection carry the
 * close code they were sent with as their `code` (a number, e.g. 1002 or 4001); every other error has a
 * string code (e.g. 'invalid-option', 'invalid-state'). The table of codes is in docs/api.md.
 */
export class WsmeshError extends Error {
  override readonly name: string = 'WsmeshError';
  constructor(
    readonly code: string | number,
    message: string,
  ) {
    super(message);
  }
}

/** An option that is unknown, of the wrong type or out of range (code 'invalid-option'). */
export class WsmeshOptionError extends WsmeshError {
  override readonly name = 'WsmeshOptionError';
  declare readonly code: 'invalid-option';
  constructor(message: string) {
    super('invalid-option', message);
  }
}

/** A method called in a state that does not allow it, e.g. `send()` before `start()` (code 'invalid-state'). */
export class MeshStateError extends WsmeshError {
  override readonly name = 'MeshStateError';
  declare readonly code: 'invalid-state';
  constructor(message: string) {
    super('invalid-state', message);
  }
}

/** `node.ready()` timed out (code 'ready-timeout'); the message names what each static peer failed with. */
export class MeshReadyError extends WsmeshError {
  override readonly name = 'MeshReadyError';
  declare readonly code: 'ready-timeout' | 'stopped';
  constructor(code: 'ready-timeout' | 'stopped', message: string) {
    super(code, message);
  }
}

/**
 * The identity key file cannot be used (code 'key-file'): unreadable, readable by group or others, not an Ed25519
 * PKCS#8 PEM key, or it cannot be created. `createNode()` throws it.
 */
export class MeshKeyFileError extends WsmeshError {
  override readonly name = 'MeshKeyFileError';
  declare readonly code: 'key-file';
  constructor(message: string) {
    super('key-file', message);
  }
}
