/**
 * ECB browser client: a small client for the Enterprise Chat Bridge's event-bus bridge.
 *
 * It speaks the standard Vert.x event-bus bridge protocol over SockJS, so it needs a global
 * `SockJS` (load sockjs-client first, e.g. `/webjars/sockjs-client/1.6.1/dist/sockjs.min.js`) or a
 * `SockJS` constructor passed in the options. Plain ES2017, no build step: load it as a classic
 * `<script src="/ecb-client.js">` (it defines `window.EcbClient` and `window.EcbError`) or
 * `require()` it (`module.exports` is `EcbClient`, with `EcbClient.EcbError`).
 *
 * Connection
 *   const ecb = new EcbClient(location.origin + '/eventbus', {pingInterval: 5000, reconnect: true});
 *   await ecb.connect();              // resolves once open; rejects when the first attempt fails
 *   ecb.onclose = ({code, reason}) => ...;   // every loss of the connection (also close())
 *   ecb.onreconnect = () => ...;             // after an automatic reconnect, subscriptions restored
 *   ecb.close();                             // for good: no reconnect
 *   Options: pingInterval (ms, default 5000; the server drops a socket silent for 10 s),
 *   reconnect (default true: after a lost connection, retry after a random wait between half and
 *   all of min(0.5 s x 2^attempt, 10 s)), requestTimeout (ms, default 30000), SockJS, sockjs
 *   (options handed to the SockJS constructor).
 *
 * Requests and subscriptions
 *   const body = await ecb.request(address, headers, body);
 *     Rejects with an EcbError {failureCode, code, message}: failureCode is the HTTP-like status
 *     the server sent (401, 403, 429, ...) and code its error code (UNAUTHORIZED, ...). Failures
 *     found by the client have failureCode 0 and code DISCONNECTED or TIMEOUT.
 *   const sub = ecb.subscribe(address, headers, onMessage, onError);  sub.unsubscribe();
 *     onMessage(body, frame) gets each payload; onError(EcbError) when the server refuses the
 *     registration (the subscription is then dropped). Subscriptions are registered again after
 *     an automatic reconnect.
 *
 * Chat helpers (they keep the userToken from login)
 *   await ecb.login(accessToken)             // -> {userToken, user}; sets ecb.userToken, ecb.user
 *   await ecb.getContacts({pageStartIndex, pageSize}); await ecb.getThreads(paging)
 *   await ecb.createThread(memberIds, text, data)      // -> {thread, messages}
 *   await ecb.getThread(threadToken, {sinceOffset, epoch})
 *   await ecb.sendText(threadToken, text, clientMessageId)  // an id is generated when omitted, so
 *                                                           // a retry with the same id is idempotent
 *   await ecb.sendTyping(threadToken, true | false)    // the server allows one per second
 *   const f = await ecb.followThread(thread, onPayload, {onReload, onError});
 *     Registers `ecb.thread.<threadId>`, then loads the thread: f.thread, f.messages (history),
 *     f.offset, f.epoch. onPayload gets each live `{kind: "message", ...}` once (duplicates and
 *     messages already in the history are dropped) and each `{kind: "typing", ...}`. After a
 *     reconnect, or a gap in offsets, it asks for what it missed (getThread with sinceOffset and
 *     epoch) and replays it in order; when the server can no longer cover the gap it calls
 *     onReload(reply) with the fresh history instead. f.unsubscribe() stops.
 *   const sub = ecb.followUser(onEvent, onError);  // `ecb.user.<userId>`: threadCreated, notifications
 *   EcbClient.newId()                        // a fresh random id, e.g. to keep for a retried send
 */
(function (root, factory) {
  const api = factory(root);
  if (typeof module === 'object' && module.exports) {
    module.exports = api.EcbClient;
  } else {
    root.EcbClient = api.EcbClient;
    root.EcbError = api.EcbError;
  }
})(typeof globalThis !== 'undefined' ? globalThis : this, function (root) {
  'use strict';

  /** An error reply from the bridge, or a failure the client detected (failureCode 0). */
  class EcbError extends Error {
    constructor(failureCode, code, message) {
      super(message || code);
      this.name = 'EcbError';
      this.failureCode = failureCode;
      this.code = code;
    }

    /** The server puts `{"code", "message"}` as JSON text in the frame's `message`. */
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
      return new EcbError(frame.failureCode || 0, code, message);
    }
  }

  function newId() {
    if (root && root.crypto && typeof root.crypto.randomUUID === 'function') return root.crypto.randomUUID();
    return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) => {
      const r = (Math.random() * 16) | 0;
      return (c === 'x' ? r : (r & 3) | 8).toString(16);
    });
  }

  /** Runs a user callback; an exception surfaces in the console without breaking the client. */
  function safely(fn, ...args) {
    if (typeof fn !== 'function') return;
    try {
      fn(...args);
    } catch (e) {
      setTimeout(() => { throw e; });
    }
  }

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
      this.userToken = null;
      this.user = null;
      this.onclose = null;
      this.onreconnect = null;
      this.onerror = null; // server errors that belong to no request or subscription
      this._sock = null;
      this._ping = null;
      this._retryTimer = null;
      this._attempt = 0;
      this._opened = null; // promise of the first connect()
      this._replies = new Map(); // replyAddress -> {resolve, reject, timer}
      this._subs = new Map(); // address -> {headers, listeners: Set}
      this._reconnectHooks = new Set(); // followers' catch-up, run before onreconnect
    }

    get connected() {
      return this.state === 'open';
    }

    connect() {
      if (!this._opened) {
        this._opened = new Promise((resolve, reject) => this._open(resolve, reject));
      }
      return this._opened;
    }

    close() {
      this.state = 'closed';
      clearTimeout(this._retryTimer);
      if (this._sock) this._sock.close();
    }

    _open(resolve, reject) {
      const SockJSImpl = this.options.SockJS || (root && root.SockJS);
      if (!SockJSImpl) throw new Error('EcbClient needs sockjs-client: load it before ecb-client.js');
      const reconnecting = this.state === 'reconnecting';
      if (!reconnecting) this.state = 'connecting';
      const sock = new SockJSImpl(this.url, null, this.options.sockjs);
      this._sock = sock;
      let opened = false;

      sock.onopen = () => {
        opened = true;
        this.state = 'open';
        this._attempt = 0;
        this._startPing();
        // Registrations first: the server answers later frames only once they are in effect.
        for (const [address, sub] of this._subs) this._register(address, sub);
        if (resolve) resolve();
        if (reconnecting) {
          this._reconnectHooks.forEach((hook) => safely(hook));
          safely(this.onreconnect);
        }
      };

      sock.onmessage = (e) => this._onFrame(e.data);

      sock.onclose = (e) => {
        if (this._sock !== sock) return;
        this._sock = null;
        clearInterval(this._ping);
        this._failPending(new EcbError(0, 'DISCONNECTED', 'connection closed'));
        if (!opened && reject) {
          // The very first attempt failed: report it to connect() rather than retrying.
          this.state = 'closed';
          reject(new EcbError(0, 'DISCONNECTED', 'could not connect: ' + (e.reason || e.code)));
          return;
        }
        const retry = this.state !== 'closed' && this.options.reconnect;
        this.state = retry ? 'reconnecting' : 'closed';
        if (opened) safely(this.onclose, { code: e.code, reason: e.reason });
        if (retry) this._scheduleReconnect();
      };
    }

    _scheduleReconnect() {
      const o = this.options;
      const ceiling = Math.min(o.maxReconnectDelay, o.minReconnectDelay * Math.pow(2, this._attempt));
      this._attempt++;
      // Jitter spreads the reconnects of many clients after a node goes away.
      const wait = ceiling / 2 + Math.random() * (ceiling / 2);
      this._retryTimer = setTimeout(() => this._open(null, null), wait);
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
      const sub = address && this._subs.get(address);
      if (sub) {
        if (frame.type === 'err') {
          // A refused registration: the server holds nothing for it, so drop it here too.
          this._subs.delete(address);
          const error = EcbError.fromFrame(frame);
          sub.listeners.forEach((l) => safely(l.onError, error));
        } else {
          sub.listeners.forEach((l) => safely(l.onMessage, frame.body, frame));
        }
        return;
      }
      if (frame.type === 'err') safely(this.onerror, EcbError.fromFrame(frame));
    }

    request(address, headers, body) {
      return new Promise((resolve, reject) => {
        const replyAddress = newId();
        const frame = { type: 'send', address, headers: headers || {}, body: body === undefined ? {} : body, replyAddress };
        const timer = setTimeout(() => {
          this._replies.delete(replyAddress);
          reject(new EcbError(0, 'TIMEOUT', 'no reply from ' + address));
        }, this.options.requestTimeout);
        this._replies.set(replyAddress, { resolve, reject, timer });
        if (!this._write(frame)) {
          this._replies.delete(replyAddress);
          clearTimeout(timer);
          reject(new EcbError(0, 'DISCONNECTED', 'not connected'));
        }
      });
    }

    /**
     * `headers` may be a function, called at every (re-)registration, so that a re-registration
     * after a reconnect sends the current tokens.
     */
    subscribe(address, headers, onMessage, onError) {
      let sub = this._subs.get(address);
      if (!sub) {
        sub = { headers, listeners: new Set() };
        this._subs.set(address, sub);
        this._register(address, sub);
      }
      const listener = { onMessage, onError };
      sub.listeners.add(listener);
      return {
        address,
        unsubscribe: () => {
          if (this._subs.get(address) !== sub) return;
          sub.listeners.delete(listener);
          if (sub.listeners.size === 0) {
            this._subs.delete(address);
            this._write({ type: 'unregister', address });
          }
        },
      };
    }

    _register(address, sub) {
      const headers = typeof sub.headers === 'function' ? sub.headers() : sub.headers;
      this._write({ type: 'register', address, headers: headers || {} });
    }

    // ---- chat helpers

    _userHeaders(extra) {
      if (!this.userToken) throw new EcbError(0, 'UNAUTHORIZED', 'call login() first');
      return Object.assign({ userToken: this.userToken }, extra);
    }

    async login(accessToken) {
      const reply = await this.request('ecb.getUserToken', {}, { accessToken });
      this.userToken = reply.userToken;
      this.user = reply.user;
      return reply;
    }

    getContacts(paging) {
      return this.request('ecb.getContacts', this._userHeaders(), paging || {});
    }

    getThreads(paging) {
      return this.request('ecb.getThreads', this._userHeaders(), paging || {});
    }

    createThread(memberIds, text, data) {
      const body = { memberIds, message: { type: 'text', data: { messageText: text } } };
      if (data !== undefined) body.data = data;
      return this.request('ecb.createThread', this._userHeaders(), body);
    }

    getThread(threadToken, since) {
      const body = {};
      if (since && since.sinceOffset != null) {
        body.sinceOffset = since.sinceOffset;
        body.epoch = since.epoch;
      }
      return this.request('ecb.getThread', this._userHeaders({ threadToken }), body);
    }

    sendText(threadToken, text, clientMessageId) {
      return this.request('ecb.sendMessage', this._userHeaders({ threadToken }), {
        message: { type: 'text', data: { messageText: text } },
        clientMessageId: clientMessageId || newId(),
      });
    }

    sendTyping(threadToken, isTyping) {
      return this.request('ecb.sendMessage', this._userHeaders({ threadToken }), {
        message: { type: 'typing', data: !!isTyping },
      });
    }

    followUser(onEvent, onError) {
      this._userHeaders();
      return this.subscribe('ecb.user.' + this.user.userId, () => this._userHeaders(), onEvent, onError);
    }

    async followThread(thread, onPayload, callbacks) {
      const cb = callbacks || {};
      const self = this;
      let threadToken = thread.threadToken;
      let offset = null; // last offset handed on (or covered by the loaded history)
      let epoch = null;
      let syncing = true; // while a getThread is out, message payloads wait in `buffer`
      let buffer = [];
      let known = new Set(); // messageIds of the loaded history
      let stopped = false;

      function accept(payload) {
        if (stopped) return;
        if (payload.kind !== 'message') {
          safely(onPayload, payload);
          return;
        }
        if (syncing) {
          buffer.push(payload);
        } else if (payload.epoch !== epoch || payload.offset > offset + 1) {
          // A gap or a new epoch: something was missed; fetch it before going on.
          buffer.push(payload);
          resync();
        } else if (payload.offset > offset) {
          deliver(payload);
        }
      }

      function deliver(payload) {
        offset = payload.offset;
        if (!known.has(payload.message && payload.message.messageId)) safely(onPayload, payload);
      }

      function adopt(reply) {
        offset = reply.offset;
        epoch = reply.epoch;
        known = new Set((reply.messages || []).map((m) => m.messageId));
        if (reply.thread && reply.thread.threadToken) threadToken = reply.thread.threadToken;
      }

      /** After a sync, hand on what arrived meanwhile and was not covered by the reply. */
      function flush() {
        if (stopped) return;
        const waiting = buffer.sort((a, b) => a.offset - b.offset);
        buffer = [];
        syncing = false;
        for (const p of waiting) if (p.epoch === epoch && p.offset > offset) deliver(p);
      }

      async function resync() {
        if (syncing || stopped) return;
        syncing = true;
        try {
          const reply = await self.getThread(threadToken, { sinceOffset: offset, epoch });
          if (stopped) return;
          if (reply.recovered) {
            epoch = reply.epoch;
            for (const p of reply.missed) if (p.offset > offset) deliver(p);
            offset = Math.max(offset, reply.offset);
          } else {
            adopt(reply);
            safely(cb.onReload, reply);
          }
          flush();
        } catch (e) {
          // Keep what is buffered; the next reconnect or gap tries again.
          syncing = false;
          safely(cb.onError, e);
        }
      }

      const address = 'ecb.thread.' + thread.threadId;
      const sub = this.subscribe(address, () => this._userHeaders({ threadToken }), accept, (e) => {
        stopped = true;
        this._reconnectHooks.delete(resync);
        safely(cb.onError, e);
      });
      this._reconnectHooks.add(resync);
      const unsubscribe = () => {
        stopped = true;
        this._reconnectHooks.delete(resync);
        sub.unsubscribe();
      };

      let reply;
      try {
        // Registered first, so whatever is published after this reply's offset arrives live.
        reply = await this.getThread(threadToken);
      } catch (e) {
        unsubscribe();
        throw e;
      }
      adopt(reply);
      // Hand on what arrived meanwhile only after the caller has the history (next task).
      setTimeout(flush, 0);
      return {
        thread: reply.thread,
        messages: reply.messages,
        get offset() { return offset; },
        get epoch() { return epoch; },
        get threadToken() { return threadToken; },
        unsubscribe,
      };
    }
  }

  EcbClient.EcbError = EcbError;
  EcbClient.newId = newId;
  return { EcbClient, EcbError };
});
