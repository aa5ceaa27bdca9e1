// EcbError and the guard around application callbacks, shared by the client and its streams.

/** An error reply of the bridge (status = its HTTP-like failureCode) or one the client found (status 0). */
class EcbError extends Error {
  constructor(code, status, message) {
    super(message || code);
    this.name = 'EcbError';
    this.code = code;
    this.status = status;
  }

  /** The bridge's name for status. */
  get failureCode() {
    return this.status;
  }

  /** The server puts `{"code", "message"}` as JSON text in the err frame's `message`. */
  static fromFrame(frame) {
    let code = frame.failureType || 'ERROR';
    let message = frame.message;
    try {
      const parsed = JSON.parse(frame.message);
      if (parsed && typeof parsed === 'object') {
        code = parsed.code || code;
        message = parsed.message || message;
      }
    } catch (e) {
      // Not JSON: keep the raw text.
    }
    return new EcbError(code, frame.failureCode || 0, message);
  }
}

/** Runs an application callback; its exception surfaces without breaking the client. */
function safely(fn, ...args) {
  if (typeof fn !== 'function') return;
  try {
    fn(...args);
  } catch (e) {
    setTimeout(() => { throw e; });
  }
}

export { EcbError, safely };
