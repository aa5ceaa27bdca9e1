// The open conversation's presence dots and read receipts on the demo page.

/** A dot per member of the open thread: online while one of their connections follows it. */
export class PresenceDots {
  constructor(list) {
    this.list = list;
    this.thread = null;
    this.online = new Set();
    this.queued = null; // presence events that came while getPresence was under way
  }

  /** Shows the members of `thread`, offline until `refresh` answers. */
  show(thread) {
    this.thread = thread;
    this.online = new Set();
    this.queued = null;
    this.render();
  }

  clear() {
    this.thread = null;
    this.online = new Set();
    this.queued = null;
    this.list.replaceChildren();
  }

  /**
   * Asks who is online (on open, and after a reconnect: presence events are not recovered).
   * Events that come meanwhile are applied on top of the answer, which may predate them.
   */
  async refresh(ecb, threadToken) {
    const thread = this.thread;
    if (!thread) return;
    const queued = [];
    this.queued = queued;
    try {
      const reply = await ecb.getPresence(threadToken);
      if (this.queued === queued) this.online = new Set(reply.online);
    } finally {
      if (this.queued === queued) {
        this.queued = null;
        queued.forEach((p) => this.apply(p));
        this.render();
      }
    }
  }

  onPresence(p) {
    if (!this.thread || p.threadId !== this.thread.threadId) return;
    if (this.queued) {
      this.queued.push(p);
    } else {
      this.apply(p);
      this.render();
    }
  }

  apply(p) {
    if (p.online) this.online.add(p.userId);
    else this.online.delete(p.userId);
  }

  render() {
    this.list.replaceChildren(...this.thread.members.map((m) => {
      const online = this.online.has(m.userId);
      const item = document.createElement('li');
      item.dataset.userId = m.userId;
      item.dataset.online = String(online);
      item.title = m.displayName + (online ? ' is online' : ' is offline');
      const dot = document.createElement('span');
      dot.className = 'dot';
      item.append(dot, m.displayName);
      return item;
    }));
  }
}

/**
 * "Seen by …" under the last message each other member has read, and markRead for the last
 * message from someone else this page shows while the window is visible. Receipts name stream
 * offsets: live and recovered payloads carry theirs, and the thread stream's stored history
 * (ecb.recover from 0) gives those of the messages getThread loaded. A message the stream does
 * not hold (a thread's first one, which createThread does not publish, or one older than the
 * history) stands at the offset of the last message before it that has one, else 0: every page
 * that knows the same offsets places a receipt the same way.
 */
export class ReadReceipts {
  constructor(ecb, list, names, onError) {
    this.ecb = ecb;
    this.list = list; // #messages: one li per message, data-message-id and data-from
    this.names = names; // userId -> display name
    this.onError = onError;
    this.open(null);
    document.addEventListener('visibilitychange', () => this.markRead());
  }

  /** A conversation opens (or closes, with null): nothing is known about it yet. */
  open(thread) {
    this.thread = thread;
    this.follower = null; // set once the offsets the stream holds are known
    this.offsets = new Map(); // messageId -> stream offset
    this.reads = new Map(); // userId -> highest readOffset
    this.marked = -1; // highest readOffset this user sent, or is sending
  }

  /** The thread is followed: learn the offsets and receipts its stream still holds. */
  async follow(follower) {
    const thread = this.thread;
    try {
      const reply = await this.ecb.recover('ecb.thread.' + thread.threadId,
        { sinceOffset: 0, epoch: follower.epoch }, follower.threadToken);
      // Not recovered: the stream's history no longer starts at 1; offsets are learnt from here on.
      if (this.thread === thread && reply.recovered) reply.missed.forEach((p) => this.learn(p));
    } finally {
      if (this.thread === thread) {
        this.follower = follower;
        this.update();
      }
    }
  }

  /** A payload of the open thread's stream (live or recovered). */
  learn(p) {
    if (p.kind === 'message' && p.message) this.offsets.set(p.message.messageId, p.offset);
    if (p.kind === 'read') {
      this.reads.set(p.userId, Math.max(this.reads.get(p.userId) || 0, p.readOffset));
      if (p.userId === this.me()) this.marked = Math.max(this.marked, p.readOffset);
    }
  }

  /** A message this page sent, with the offset the reply gave it. */
  sent(message, offset) {
    this.offsets.set(message.messageId, offset);
  }

  update() {
    this.render();
    this.markRead();
  }

  me() {
    return this.ecb.user && this.ecb.user.userId;
  }

  /** The shown messages, oldest first, each with the offset it stands at. */
  placed() {
    let offset = 0;
    return [...this.list.querySelectorAll('li.message')].map((item) => {
      offset = this.offsets.get(item.dataset.messageId) ?? offset;
      return { item, offset };
    });
  }

  render() {
    this.list.querySelectorAll('.seen').forEach((s) => s.remove());
    const placed = this.placed();
    const readers = new Map(); // li -> names of those who read up to it
    for (const [userId, readOffset] of this.reads) {
      if (userId === this.me()) continue;
      const last = placed.filter((m) => m.offset <= readOffset).map((m) => m.item).pop();
      if (!last) continue;
      if (!readers.has(last)) readers.set(last, []);
      readers.get(last).push(this.names(userId));
    }
    for (const [item, names] of readers) {
      const seen = document.createElement('span');
      seen.className = 'seen';
      seen.textContent = 'Seen by ' + names.join(', ');
      item.append(seen);
    }
  }

  /** Reading one's own message says nothing: the last message from someone else is marked. */
  markRead() {
    if (!this.follower || document.visibilityState !== 'visible' || this.ecb.state !== 'open') return;
    const last = this.placed().reverse().find((m) => m.item.dataset.from !== this.me());
    if (!last || last.offset <= this.marked) return;
    const offset = last.offset;
    const before = this.marked;
    this.marked = offset;
    this.ecb.markRead(this.follower.threadToken, offset).catch((e) => {
      if (this.marked === offset) this.marked = before; // tried again on the next message or reconnect
      if (e.code !== 'DISCONNECTED') this.onError(e);
    });
  }
}
