// ECB client SDK: the Enterprise Chat Bridge's event-bus bridge (SockJS) as promises and
// self-recovering subscriptions. API, reconnect semantics and errors: docs/sdk.md and
// ecb-client.d.ts. SockJS comes from the `SockJS` option or the global of that name.

import { EcbError, safely } from './ecb-error.mjs';
import { Streams, threadTokenOf } from './ecb-streams.mjs';

const VERSION = '1.0.0';

function newId() {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (ch) => {
    const r = (Math.random() * 16) | 0;
    return (ch === 'x' ? r : (r & 3) | 8).toString(16);
  });
}

const asMessage = (m) => (typeof m === 'string' ? { type: 'text', data: { messageText: m } } : m);

const DEFAULTS = {
  pingInterval: 5000,
  reconnect: true,
  requestTimeout: 30000,
  minReconnectDelay: 500,
  maxReconnectDelay: 10000,
};

class EcbClient {
  constructor(url, options) {
    this.url = url;
    this.options = Object.assign({}, DEFAULTS, options);
    this.state = 'idle'; // idle | connecting | open | reconnecting | closed
    this.userToken = this.options.userToken || null;
    this.user = null;
    this.onclose = null; // an open connection was lost (or closed)
    this.onreconnect = null; // open again; streams re-registered, their recovery under way
    this.onerror = null; // server errors that belong to no request or subscription
    this._sock = null;
    this._ping = null;
    this._retryTimer = null;
    this._attempt = 0;
    this._everOpened = false;
    this._waiters = []; // connect() callers waiting for open
    this._replies = new Map(); // replyAddress -> {resolve, reject, timer}
    this._streams = new Streams(this);
    this._refreshing = null;
  }

  get connected() {
    return this.state === 'open';
  }

  /**
   * Resolves once the connection is open. A failed attempt, the first included, is retried with
   * jittered backoff while `reconnect` is on; it rejects only on close(), or when `reconnect` is
   * off and the attempt fails (a later connect() tries again).
   */
  connect() {
    if (this.state === 'open') return Promise.resolve();
    const opened = new Promise((resolve, reject) => this._waiters.push({ resolve, reject }));
    if (this.state === 'idle' || this.state === 'closed') {
      this.state = 'connecting';
      this._open();
    }
    return opened;
  }

  /** For good: no reconnect; pending requests and connect() calls fail with CLOSED. */
  close() {
    this.state = 'closed';
    clearTimeout(this._retryTimer);
    this._settleWaiters(new EcbError('CLOSED', 0, 'client closed'));
    const sock = this._sock;
    if (sock) sock.close();
    else this._failPending(new EcbError('CLOSED', 0, 'client closed'));
  }

  _settleWaiters(error) {
    const waiters = this._waiters;
    this._waiters = [];
    waiters.forEach((w) => (error ? w.reject(error) : w.resolve()));
  }

  _open() {
    const SockJSImpl = this.options.SockJS || globalThis.SockJS;
    if (!SockJSImpl) {
      this.state = 'idle';
      this._settleWaiters(new EcbError('NO_SOCKJS', 0, 'EcbClient needs sockjs-client: pass options.SockJS or load it first'));
      return;
    }
    let sock;
    try {
      sock = new SockJSImpl(this.url, null, this.options.sockjs);
    } catch (e) {
      // A URL or options SockJS refuses: no later attempt can do better.
      this.state = 'idle';
      this._settleWaiters(new EcbError('BAD_REQUEST', 0, 'cannot connect to ' + this.url + ': ' + e.message));
      return;
    }
    this._sock = sock;
    let opened = false;

    sock.onopen = () => {
      if (this._sock !== sock) return;
      opened = true;
      const reconnected = this._everOpened;
      this._everOpened = true;
      this.state = 'open';
      this._attempt = 0;
      this._startPing();
      // Registrations first: the server answers later frames only once they are in effect.
      this._streams.resume();
      this._settleWaiters(null);
      if (reconnected) safely(this.onreconnect);
    };

    sock.onmessage = (e) => this._onFrame(e.data);

    sock.onclose = (e) => {
      if (this._sock !== sock) return;
      this._sock = null;
      clearInterval(this._ping);
      this._failPending(new EcbError('DISCONNECTED', 0, 'connection closed'));
      if (opened) safely(this.onclose, { code: e.code, reason: e.reason });
      if (this.state === 'closed') return;
      if (this.options.reconnect) {
        this.state = this._everOpened ? 'reconnecting' : 'connecting';
        this._scheduleReconnect();
      } else {
        this.state = 'idle';
        this._settleWaiters(new EcbError('DISCONNECTED', 0, 'could not connect: ' + (e.reason || e.code)));
      }
    };
  }

  _scheduleReconnect() {
    const o = this.options;
    const ceiling = Math.min(o.maxReconnectDelay, o.minReconnectDelay * Math.pow(2, this._attempt));
    this._attempt++;
    // Jitter spreads the reconnects of many clients after a node goes away.
    const wait = ceiling / 2 + Math.random() * (ceiling / 2);
    this._retryTimer = setTimeout(() => {
      if (this.state !== 'closed') this._open();
    }, wait);
  }

  _startPing() {
    const ping = () => this._write({ type: 'ping' });
    ping();
    this._ping = setInterval(ping, this.options.pingInterval);
  }

  _write(frame) {
    if (this.state !== 'open' || !this._sock) return false;
    this._sock.send(JSON.stringify(frame));
    return true;
  }

  _failPending(error) {
    for (const pending of this._replies.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this._replies.clear();
  }

  _onFrame(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch (e) {
      return;
    }
    const address = frame.address;
    const pending = address && this._replies.get(address);
    if (pending) {
      this._replies.delete(address);
      clearTimeout(pending.timer);
      if (frame.type === 'err') pending.reject(EcbError.fromFrame(frame));
      else pending.resolve(frame.body);
      return;
    }
    if (address && this._streams.onFrame(address, frame)) return;
    if (frame.type === 'err') safely(this.onerror, EcbError.fromFrame(frame));
  }

  // ---- requests

  /** One request/reply on the bridge; rejects with an EcbError. */
  request(address, headers, body) {
    return new Promise((resolve, reject) => {
      const replyAddress = newId();
      const frame = { type: 'send', address, headers: headers || {}, body: body === undefined ? {} : body, replyAddress };
      const timer = setTimeout(() => {
        this._replies.delete(replyAddress);
        reject(new EcbError('TIMEOUT', 0, 'no reply from ' + address));
      }, this.options.requestTimeout);
      this._replies.set(replyAddress, { resolve, reject, timer });
      if (!this._write(frame)) {
        this._replies.delete(replyAddress);
        clearTimeout(timer);
        reject(new EcbError('DISCONNECTED', 0, 'not connected'));
      }
    });
  }

  /** A request with the userToken; on UNAUTHORIZED it refreshes the token once and retries. */
  async _call(address, extraHeaders, body) {
    const used = this._token();
    try {
      return await this.request(address, Object.assign({ userToken: used }, extraHeaders), body);
    } catch (e) {
      if (!(await this._refreshedAfter(e, used))) throw e;
      return this.request(address, Object.assign({ userToken: this.userToken }, extraHeaders), body);
    }
  }

  _token() {
    if (!this.userToken) throw new EcbError('UNAUTHORIZED', 0, 'no userToken: call getUserToken() or pass options.userToken');
    return this.userToken;
  }

  /**
   * After an UNAUTHORIZED answer to `used`: true once a different userToken is in place (one
   * refresh shared by every caller), false when there is nothing to retry with.
   */
  async _refreshedAfter(error, used) {
    if (!(error instanceof EcbError) || error.code !== 'UNAUTHORIZED') return false;
    if (this.userToken !== used) return true;
    const refresh = this.options.refreshToken;
    if (typeof refresh !== 'function') return false;
    if (!this._refreshing) {
      this._refreshing = Promise.resolve()
        .then(() => refresh({ error, userToken: used }))
        .then((fresh) => {
          const token = typeof fresh === 'string' ? fresh : fresh && fresh.userToken;
          if (token) this.userToken = token;
        })
        .finally(() => { this._refreshing = null; });
    }
    try {
      await this._refreshing;
    } catch (e) {
      return false;
    }
    return this.userToken !== used;
  }

  // ---- operations (each resolves with the reply body of SPEC section 3)

  async getUserToken(accessToken) {
    const reply = await this.request('ecb.getUserToken', {}, { accessToken });
    this.userToken = reply.userToken;
    this.user = reply.user;
    return reply;
  }

  login(accessToken) {
    return this.getUserToken(accessToken);
  }

  getContacts(paging) {
    return this._call('ecb.getContacts', {}, paging || {});
  }

  getThreads(paging) {
    return this._call('ecb.getThreads', {}, paging || {});
  }

  /** `message`: text, or `{type, data}`. */
  createThread(memberIds, message, data) {
    const body = { memberIds, message: asMessage(message) };
    if (data !== undefined) body.data = data;
    return this._call('ecb.createThread', {}, body);
  }

  getThread(thread, since) {
    const body = {};
    if (since && since.sinceOffset != null) {
      body.sinceOffset = since.sinceOffset;
      body.epoch = since.epoch;
    }
    return this._call('ecb.getThread', { threadToken: threadTokenOf(thread) }, body);
  }

  /** An id is generated when `clientMessageId` is omitted, so a retry of the same call is idempotent. */
  sendMessage(thread, message, clientMessageId) {
    return this._call('ecb.sendMessage', { threadToken: threadTokenOf(thread) },
      { message: asMessage(message), clientMessageId: clientMessageId || newId() });
  }

  sendText(thread, text, clientMessageId) {
    return this.sendMessage(thread, text, clientMessageId);
  }

  typing(thread, isTyping) {
    return this._call('ecb.sendMessage', { threadToken: threadTokenOf(thread) }, { message: { type: 'typing', data: !!isTyping } });
  }

  sendTyping(thread, isTyping) {
    return this.typing(thread, isTyping);
  }

  recover(address, since, thread) {
    const s = since || {};
    const headers = thread ? { threadToken: threadTokenOf(thread) } : {};
    return this._call('ecb.recover', headers, { address, sinceOffset: s.sinceOffset || 0, epoch: s.epoch == null ? null : s.epoch });
  }

  getPresence(thread) {
    return this._call('ecb.getPresence', { threadToken: threadTokenOf(thread) }, {});
  }

  markRead(thread, readOffset) {
    return this._call('ecb.markRead', { threadToken: threadTokenOf(thread) }, { readOffset });
  }

  // ---- streams (ecb-streams.mjs)

  subscribe(address, options, onPayload, onError) {
    return this._streams.subscribe(address, options, onPayload, onError);
  }

  followUser(onEvent, onError) {
    return this._streams.followUser(onEvent, onError);
  }

  followThread(thread, onPayload, callbacks) {
    return this._streams.followThread(thread, onPayload, callbacks);
  }
}

EcbClient.VERSION = VERSION;
EcbClient.EcbError = EcbError;
EcbClient.newId = newId;

export { VERSION, EcbError, EcbClient, newId };
