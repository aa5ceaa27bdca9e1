// The client's subscriptions: each stream's position (offset, epoch), duplicates dropped by
// offset, gaps and reconnects filled through ecb.recover (getThread for a thread's first load).

import { EcbError, safely } from './ecb-error.mjs';

const threadTokenOf = (thread) => (typeof thread === 'string' ? thread : thread && thread.threadToken);

class Streams {
  constructor(client) {
    this.client = client;
    this.subs = new Map(); // address -> subscription
  }

  /**
   * Follows `address`; each payload reaches `onPayload` once. Numbered payloads come in offset
   * order: a gap or a reconnect is filled through ecb.recover, duplicates are dropped by offset,
   * and `onReload(reply)` says the history could not cover a gap (reload from the backend).
   * Options: threadToken (for a thread), userToken (instead of the client's), sinceOffset/epoch
   * (resume from a stored position), onReload, onError (a refused registration; the subscription
   * is then dropped).
   */
  subscribe(address, options, onPayload, onError) {
    const o = Object.assign({}, options);
    if (onError && !o.onError) o.onError = onError;
    let sub = this.subs.get(address);
    if (!sub) {
      sub = {
        address,
        threadToken: threadTokenOf(o.threadToken) || null,
        userToken: o.userToken || null,
        offset: null, // last numbered payload handed on, or the position the stream was joined at
        epoch: null,
        resume: o.sinceOffset != null ? { sinceOffset: o.sinceOffset, epoch: o.epoch } : null,
        initial: o.initial || null, // how the first position is taken (followThread: getThread)
        late: null, // offsets at or below the joined position that arrived live anyway
        syncing: false,
        buffer: [],
        listeners: new Set(),
        authRetried: false,
      };
      sub.ready = new Promise((resolve, reject) => { sub.joined = { resolve, reject }; });
      sub.ready.catch(() => { /* also reported to onError */ });
      this.subs.set(address, sub);
      if (this.register(sub)) this.sync(sub);
    }
    const listener = { onPayload, onReload: o.onReload, onError: o.onError };
    sub.listeners.add(listener);
    const streams = this;
    return {
      address,
      ready: sub.ready,
      get offset() { return sub.offset; },
      get epoch() { return sub.epoch; },
      get threadToken() { return sub.threadToken; },
      set threadToken(t) { sub.threadToken = t; },
      unsubscribe() {
        if (streams.subs.get(address) !== sub) return;
        sub.listeners.delete(listener);
        if (sub.listeners.size === 0) {
          streams.subs.delete(address);
          streams.client._write({ type: 'unregister', address });
        }
      },
    };
  }

  /** On every open: register each stream, then restore each one's position. */
  resume() {
    for (const sub of this.subs.values()) {
      sub.authRetried = false;
      this.register(sub);
    }
    for (const sub of this.subs.values()) this.sync(sub);
  }

  /** A frame for a followed address; false when none is followed there. */
  onFrame(address, frame) {
    const sub = this.subs.get(address);
    if (!sub) return false;
    if (frame.type === 'err') this.refused(sub, EcbError.fromFrame(frame));
    else this.accept(sub, frame.body);
    return true;
  }

  register(sub) {
    sub.registeredWith = sub.userToken || this.client.userToken;
    const headers = { userToken: sub.registeredWith };
    if (sub.threadToken) headers.threadToken = sub.threadToken;
    return this.client._write({ type: 'register', address: sub.address, headers });
  }

  /** A refused registration: after a token refresh it is tried once more, else dropped. */
  async refused(sub, error) {
    if (!sub.authRetried) {
      sub.authRetried = true;
      if (!sub.userToken && await this.client._refreshedAfter(error, sub.registeredWith)) {
        if (this.subs.get(sub.address) === sub) this.register(sub);
        return;
      }
    }
    if (this.subs.get(sub.address) !== sub) return;
    this.subs.delete(sub.address);
    sub.joined.reject(error);
    sub.listeners.forEach((l) => safely(l.onError, error));
  }

  emit(sub, payload) {
    sub.listeners.forEach((l) => safely(l.onPayload, payload));
  }

  deliver(sub, p) {
    sub.offset = p.offset;
    sub.epoch = p.epoch;
    this.emit(sub, p);
  }

  accept(sub, p) {
    if (!p || typeof p.offset !== 'number') {
      this.emit(sub, p); // typing and presence are not numbered
    } else if (sub.syncing || sub.offset == null) {
      sub.buffer.push(p);
    } else if (p.epoch !== sub.epoch || p.offset > sub.offset + 1) {
      sub.buffer.push(p);
      this.sync(sub);
    } else if (p.offset > sub.offset) {
      this.deliver(sub, p);
    } else if (sub.late && !sub.late.has(p.offset)) {
      // Published after the registration, but written to the socket after the position reply.
      sub.late.add(p.offset);
      this.emit(sub, p);
    }
  }

  /**
   * Takes or restores the stream's position: when it starts (the stream's current position, or
   * resume from a stored one), and after a reconnect or a gap (recover from the last offset
   * handed on).
   */
  async sync(sub) {
    if (sub.syncing) return;
    sub.syncing = true;
    const joining = sub.offset == null && !sub.resume;
    try {
      let reply;
      if (joining && sub.initial) {
        reply = await sub.initial();
      } else {
        const since = sub.offset != null ? { sinceOffset: sub.offset, epoch: sub.epoch } : sub.resume;
        reply = await this.recover(sub, since);
      }
      if (this.subs.get(sub.address) !== sub) return;
      if (joining) {
        sub.offset = reply.offset;
        sub.epoch = reply.epoch;
        // getThread's history holds what is at or below its offset already.
        sub.late = sub.initial ? null : new Set();
      } else {
        sub.late = null; // everything at or below the position is covered from here on
        if (reply.recovered) {
          for (const p of reply.missed) if (p.offset > (sub.offset || 0)) this.deliver(sub, p);
        } else {
          sub.listeners.forEach((l) => safely(l.onReload, reply));
        }
        sub.offset = Math.max(sub.offset || 0, reply.offset);
        sub.epoch = reply.epoch;
        sub.resume = null;
      }
      sub.joined.resolve();
      this.flush(sub);
    } catch (e) {
      // Buffered payloads wait; the next reconnect or gap tries again.
      sub.syncing = false;
      if (!(e instanceof EcbError && (e.code === 'DISCONNECTED' || e.code === 'CLOSED'))) {
        sub.listeners.forEach((l) => safely(l.onError, e));
      }
    }
  }

  recover(sub, since) {
    if (!sub.userToken) return this.client.recover(sub.address, since, sub.threadToken);
    const headers = { userToken: sub.userToken };
    if (sub.threadToken) headers.threadToken = sub.threadToken;
    return this.client.request('ecb.recover', headers,
      { address: sub.address, sinceOffset: since ? since.sinceOffset : 0, epoch: since ? since.epoch : null });
  }

  /** After a sync, hands on in order what arrived meanwhile; a gap left among it syncs again. */
  flush(sub) {
    const waiting = sub.buffer.sort((a, b) => a.offset - b.offset);
    sub.buffer = [];
    sub.syncing = false;
    for (const p of waiting) this.accept(sub, p);
  }

  followUser(onEvent, onError) {
    this.client._token();
    return this.subscribe('ecb.user.' + this.client.user.userId, { onError }, onEvent);
  }

  /**
   * Follows a thread with its history: resolves with {thread, messages, offset, epoch,
   * threadToken, unsubscribe}; onPayload gets each later payload once, in order. When history
   * cannot cover a gap, callbacks.onReload gets a fresh getThread reply.
   */
  followThread(thread, onPayload, callbacks) {
    const client = this.client;
    const cb = callbacks || {};
    let known = new Set();
    let sub = null;
    let first;
    const loaded = new Promise((resolve, reject) => { first = { resolve, reject }; });
    const adopt = (reply) => {
      known = new Set((reply.messages || []).map((m) => m.messageId));
      if (reply.thread && reply.thread.threadToken && sub) sub.threadToken = reply.thread.threadToken;
      return reply;
    };
    const initial = () => client.getThread(sub ? sub.threadToken : thread).then(adopt).then((reply) => {
      first.resolve(reply);
      return reply;
    }, (e) => {
      first.reject(e);
      throw e;
    });
    const onReload = () => client.getThread(sub.threadToken).then(adopt)
      .then((reply) => safely(cb.onReload, reply), (e) => safely(cb.onError, e));
    const deliver = (p) => {
      if (!(p.kind === 'message' && p.message && known.has(p.message.messageId))) safely(onPayload, p);
    };
    const address = 'ecb.thread.' + thread.threadId;
    const shared = this.subs.has(address);
    // Registered before the history is read, so what is published after the reply's offset arrives live.
    sub = this.subscribe(address, { threadToken: thread.threadToken, initial, onReload, onError: cb.onError }, deliver);
    if (shared) initial().catch(() => { /* rejects `loaded` */ });
    return loaded.then((reply) => ({
      thread: reply.thread,
      messages: reply.messages,
      get offset() { return sub.offset; },
      get epoch() { return sub.epoch; },
      get threadToken() { return sub.threadToken; },
      unsubscribe: () => sub.unsubscribe(),
    }), (e) => {
      sub.unsubscribe();
      throw e;
    });
  }
}

export { Streams, threadTokenOf };
