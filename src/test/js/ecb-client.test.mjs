// The client SDK (webroot/sdk) against a real ECB node, under Node's test runner:
//
//   ECB_URL=http://127.0.0.1:<port> ECB_EXPIRED_TOKEN=<an expired userToken of u1> node --test ecb-client.test.mjs
//
// Run by io.ecb.http.ClientSdkNodeTest, which starts the node (history.size 20) and its stub
// backend (accessToken "access-<userId>" is that user's). The SDK is loaded as the node serves it.
// The client under test reaches the node through a TCP proxy in this process, so a test can cut
// its connection, or refuse it, while other clients keep publishing directly.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import SockJS from 'sockjs-client';

const ECB_URL = process.env.ECB_URL;
const EXPIRED_TOKEN = process.env.ECB_EXPIRED_TOKEN;
const HISTORY_SIZE = 20;
const SDK_FILES = ['ecb-client.mjs', 'ecb-streams.mjs', 'ecb-error.mjs', 'ecb-client.d.ts', 'package.json'];

let sdk;
let proxy;
const clients = [];

before(async () => {
  assert.ok(ECB_URL && EXPIRED_TOKEN, 'set ECB_URL and ECB_EXPIRED_TOKEN');
  const dir = await mkdtemp(join(tmpdir(), 'ecb-sdk-'));
  for (const file of SDK_FILES) {
    const res = await fetch(ECB_URL + '/sdk/' + file);
    assert.equal(res.status, 200, file);
    await writeFile(join(dir, file), await res.text());
  }
  sdk = await import(pathToFileURL(join(dir, 'ecb-client.mjs')).href);
  proxy = await Proxy.start(Number(new URL(ECB_URL).port));
});

after(() => {
  clients.forEach((c) => c.close());
  proxy.close();
});

/** A loopback TCP proxy to the node that can cut every connection and refuse new ones. */
class Proxy {
  static start(target) {
    const p = new Proxy(target);
    return new Promise((resolve) => p.server.listen(0, '127.0.0.1', () => resolve(p)));
  }

  constructor(target) {
    this.refusing = false;
    this.sockets = new Set();
    this.server = net.createServer((client) => {
      if (this.refusing) {
        client.destroy();
        return;
      }
      const upstream = net.connect(target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  get url() {
    return 'http://127.0.0.1:' + this.server.address().port;
  }

  /** Cuts every connection, as a network that drops does. */
  cut() {
    this.sockets.forEach((s) => s.destroy());
  }

  /** Cuts every connection (kept-alive HTTP ones included) and refuses new ones until accept(). */
  refuse() {
    this.refusing = true;
    this.cut();
  }

  accept() {
    this.refusing = false;
  }

  close() {
    this.cut();
    this.server.close();
  }
}

/** Resolves when `check()` holds, tested at each `changed()`; fails after a timeout with `what`. */
class Condition {
  constructor() {
    this.waiting = new Set();
  }

  until(check, what, timeoutMs = 15000) {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = { check, resolve };
      w.timer = setTimeout(() => {
        this.waiting.delete(w);
        reject(new Error('timed out waiting for ' + what()));
      }, timeoutMs);
      this.waiting.add(w);
    });
  }

  changed() {
    for (const w of [...this.waiting]) {
      if (w.check()) {
        clearTimeout(w.timer);
        this.waiting.delete(w);
        w.resolve();
      }
    }
  }
}

/**
 * sockjs-client, counting the sockets the client opens; while `held` is set, the client's
 * ecb.recover requests wait (a recovery slower than the live traffic), and `frames` counts the
 * numbered payloads that arrive for each address.
 */
function instrumentedSockJS(state) {
  return class extends SockJS {
    constructor(...args) {
      super(...args);
      state.opened = (state.opened || 0) + 1;
      state.changed();
      this.addEventListener('message', (e) => {
        const frame = JSON.parse(e.data);
        if (!frame.body || typeof frame.body.offset !== 'number') return;
        state.frames.set(frame.address, (state.frames.get(frame.address) || 0) + 1);
        state.changed();
      });
    }

    send(data) {
      if (state.held && JSON.parse(data).address === 'ecb.recover') state.held.push(() => super.send(data));
      else super.send(data);
    }
  };
}

function newState() {
  const cond = new Condition();
  return { frames: new Map(), held: null, changed: () => cond.changed(), until: (c, w, t) => cond.until(c, w, t) };
}

async function client(url, options) {
  const c = new sdk.EcbClient(url + '/eventbus', Object.assign({ SockJS, minReconnectDelay: 50, maxReconnectDelay: 400 }, options));
  clients.push(c);
  await c.connect();
  return c;
}

async function signedIn(userId, url = ECB_URL, options) {
  const c = await client(url, options);
  await c.getUserToken('access-' + userId);
  return c;
}

/** A thread of u1 and u2 made by u2, so it also lands on u1's user stream. */
async function newThread(u2) {
  return (await u2.createThread(['u1'], 'start')).thread;
}

const numbered = (p) => typeof p.offset === 'number';
const offsets = (payloads) => payloads.filter(numbered).map((p) => p.offset);
const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * u2 (direct) makes a thread with u1; u1 (through the proxy, instrumented) follows it. `received`
 * collects the numbered payloads u1's follow hands on (presence and typing are not),
 * `reloads` its onReload calls, `reconnects()` its reconnects.
 */
async function followedThroughProxy() {
  const u2 = await signedIn('u2');
  const thread = await newThread(u2);
  const state = newState();
  const u1 = await signedIn('u1', proxy.url, { SockJS: instrumentedSockJS(state) });
  let reconnects = 0;
  u1.onreconnect = () => { reconnects++; state.changed(); };
  const received = [];
  const reloads = [];
  const follow = await u1.followThread(thread, (p) => { if (numbered(p)) received.push(p); state.changed(); },
    { onReload: (reply) => { reloads.push(reply); state.changed(); } });
  return { u1, u2, thread, state, received, reloads, follow, reconnects: () => reconnects };
}

test('the SDK declares its version in the module and in package.json', async () => {
  const pkg = await (await fetch(ECB_URL + '/sdk/package.json')).json();
  assert.match(sdk.VERSION, /^\d+\.\d+\.\d+$/);
  assert.equal(pkg.version, sdk.VERSION);
  assert.equal(sdk.EcbClient.VERSION, sdk.VERSION);
});

test('every operation answers through a promise, and errors are EcbErrors', async () => {
  const u2 = await signedIn('u2');
  const u1 = await signedIn('u1');
  assert.equal(u1.user.userId, 'u1');
  const contacts = await u1.getContacts({ pageStartIndex: 0, pageSize: 10 });
  assert.ok(contacts.items.some((u) => u.userId === 'u2'));
  const thread = await newThread(u2);
  const threads = await u1.getThreads();
  assert.ok(threads.items.some((t) => t.threadId === thread.threadId));
  const loaded = await u1.getThread(thread);
  assert.equal(loaded.thread.threadId, thread.threadId);
  const sent = await u1.sendMessage(thread, 'hello');
  assert.equal(sent.offset, loaded.offset + 1);
  await u1.typing(thread.threadToken, true);
  const recovery = await u1.recover('ecb.thread.' + thread.threadId, { sinceOffset: loaded.offset, epoch: loaded.epoch }, thread);
  assert.equal(recovery.recovered, true);
  assert.deepEqual(recovery.missed.map((p) => p.message.data.messageText), ['hello']);

  const missing = await u1.getThread('not-a-token').then(() => null, (e) => e);
  assert.ok(missing instanceof sdk.EcbError);
  assert.equal(missing.code, 'UNAUTHORIZED');
  assert.equal(missing.status, 401);
  const refused = await u1.recover('ecb.user.u2', { sinceOffset: 0 }).then(() => null, (e) => e);
  assert.equal(refused.code, 'FORBIDDEN');
  assert.equal(refused.status, 403);
});

test('presence and read receipts reach the followers of a thread', async () => {
  const state = newState();
  const u2 = await signedIn('u2');
  const thread = await newThread(u2);
  const seenByU2 = [];
  await u2.followThread(thread, (p) => { seenByU2.push(p); state.changed(); });
  const u1 = await signedIn('u1');
  const seenByU1 = [];
  const f1 = await u1.followThread(thread, (p) => { seenByU1.push(p); state.changed(); });
  const presenceOf = (userId, online) => () => seenByU2.some((p) => p.kind === 'presence' && p.userId === userId && p.online === online);
  await state.until(presenceOf('u1', true), () => 'u1 online, u2 saw ' + JSON.stringify(seenByU2));
  const presence = await u1.getPresence(thread);
  assert.equal(presence.threadId, thread.threadId);
  assert.deepEqual([...presence.online].sort(), ['u1', 'u2']);

  const sent = await u2.sendMessage(thread, 'read me');
  await state.until(() => seenByU1.some((p) => p.offset === sent.offset), () => 'the message at u1');
  const receipt = await u1.markRead(f1.threadToken, sent.offset);
  assert.equal(receipt.userId, 'u1');
  assert.equal(receipt.readOffset, sent.offset);
  assert.equal(receipt.offset, sent.offset + 1);
  await state.until(() => seenByU2.some((p) => p.kind === 'read' && p.offset === receipt.offset), () => 'the receipt at u2');
  const read = seenByU2.find((p) => p.kind === 'read');
  assert.equal(read.userId, 'u1');
  assert.equal(read.readOffset, sent.offset);
  await assert.rejects(u1.markRead(thread, receipt.offset + 10), (e) => e instanceof sdk.EcbError && e.code === 'BAD_REQUEST' && e.status === 400);

  f1.unsubscribe();
  await state.until(presenceOf('u1', false), () => 'u1 offline');
});

test('a reconnect mid-stream loses nothing within the history window: every offset arrives once, in order', async () => {
  const { u1, u2, thread, state, received, reloads, follow, reconnects } = await followedThroughProxy();
  const userStream = [];
  const user = u1.subscribe('ecb.user.u1', {}, (p) => { userStream.push(p); state.changed(); });
  await user.ready;
  const first = follow.offset + 1;

  const sent = [];
  for (let i = 0; i < 5; i++) sent.push((await u2.sendMessage(thread, 'live ' + i)).offset);
  await state.until(() => received.length === 5, () => 'the live messages, got ' + JSON.stringify(offsets(received)));

  proxy.refuse();
  const opened = state.opened;
  // Published while the client is away: messages, and a new thread on its user stream.
  for (let i = 0; i < 8; i++) sent.push((await u2.sendMessage(thread, 'missed ' + i)).offset);
  const other = await newThread(u2);
  await state.until(() => state.opened >= opened + 2, () => 'two refused reconnect attempts');
  proxy.accept();
  await state.until(() => reconnects() === 1, () => 'the reconnect');
  for (let i = 0; i < 5; i++) sent.push((await u2.sendMessage(thread, 'after ' + i)).offset);

  const last = sent[sent.length - 1];
  await state.until(() => received.some((p) => p.offset === last), () => 'offset ' + last + ', got ' + JSON.stringify(offsets(received)));
  assert.deepEqual(sent, range(first, last));
  assert.deepEqual(offsets(received), range(first, last));
  assert.deepEqual(received.map((p) => p.message.data.messageText).slice(5, 13), range(0, 7).map((i) => 'missed ' + i));
  assert.equal(reloads.length, 0);
  await state.until(() => userStream.length === 1, () => 'threadCreated on the user stream');
  assert.equal(userStream[0].kind, 'threadCreated');
  assert.equal(userStream[0].thread.threadId, other.threadId);
  assert.equal(user.offset, userStream[0].offset);
});

test('a payload that arrives both live and in the recovery is handed on once', async () => {
  const { u1, u2, thread, state, received, follow, reconnects } = await followedThroughProxy();
  const address = 'ecb.thread.' + thread.threadId;
  const first = follow.offset + 1;
  await u2.sendMessage(thread, 'before');
  await state.until(() => received.length === 1, () => 'the first message');

  state.held = [];
  proxy.cut();
  await state.until(() => reconnects() === 1 && state.held.length === 1, () => 'the reconnect and its recovery request');
  // The node answers a request only once the registrations before it are in effect: from then
  // on, what u2 sends arrives live while the recovery waits, and the recovery holds it too.
  await u1.getPresence(thread);
  const before = state.frames.get(address);
  const sent = [];
  for (let i = 0; i < 4; i++) sent.push((await u2.sendMessage(thread, 'both ' + i)).offset);
  await state.until(() => state.frames.get(address) === before + 4, () => 'the four live frames, counted ' + (state.frames.get(address) - before));
  assert.equal(received.length, 1, 'live payloads wait for the recovery');
  const release = state.held;
  state.held = null;
  release.forEach((send) => send());

  const last = sent[sent.length - 1];
  await state.until(() => received.some((p) => p.offset === last), () => 'offset ' + last);
  sent.push((await u2.sendMessage(thread, 'later')).offset);
  await state.until(() => received.some((p) => p.offset === last + 1), () => 'the later message');
  assert.deepEqual(offsets(received), range(first, last + 1));
});

test('when history cannot cover the gap, the app is told to reload', async () => {
  const { u2, thread, state, received, reloads, follow } = await followedThroughProxy();
  const start = follow.offset;

  proxy.refuse();
  for (let i = 0; i < HISTORY_SIZE + 5; i++) await u2.sendMessage(thread, 'flood ' + i);
  proxy.accept();
  await state.until(() => reloads.length === 1, () => 'onReload');
  assert.equal(received.length, 0, 'nothing handed on from a gap history cannot cover');
  assert.equal(reloads[0].messages.length, HISTORY_SIZE + 6, 'the fresh history from the backend');
  assert.equal(follow.offset, start + HISTORY_SIZE + 5);

  const next = (await u2.sendMessage(thread, 'after the reload')).offset;
  await state.until(() => received.length === 1, () => 'the next message');
  assert.deepEqual(offsets(received), [next]);
});

test('an expired userToken is refreshed through the callback and the operation retried once', async () => {
  let refreshes = 0;
  const refreshToken = async ({ error }) => {
    assert.equal(error.code, 'UNAUTHORIZED');
    refreshes++;
    const reply = await (await client(ECB_URL)).getUserToken('access-u1');
    return reply.userToken;
  };
  const u1 = await client(ECB_URL, { userToken: EXPIRED_TOKEN, refreshToken });
  const threads = await u1.getThreads();
  assert.ok(Array.isArray(threads.items));
  assert.equal(refreshes, 1);
  assert.notEqual(u1.userToken, EXPIRED_TOKEN);

  // A registration refused for an expired token is made again with the fresh one.
  const u2 = await signedIn('u2');
  const thread = await newThread(u2);
  const state = newState();
  const late = await client(ECB_URL, { userToken: EXPIRED_TOKEN, refreshToken });
  const received = [];
  const sub = late.subscribe('ecb.thread.' + thread.threadId, { threadToken: thread.threadToken },
    (p) => { if (numbered(p)) received.push(p); state.changed(); });
  await sub.ready;
  assert.equal(refreshes, 2, 'one refresh for the registration and the recovery that failed with it');
  const sent = await u2.sendMessage(thread, 'after the refresh');
  await state.until(() => received.length === 1, () => 'the message on the re-registered stream');
  assert.equal(received[0].offset, sent.offset);

  // Without a callback, or when the fresh token fails too, the UNAUTHORIZED error stands.
  const plain = await client(ECB_URL, { userToken: EXPIRED_TOKEN });
  await assert.rejects(plain.getThreads(), (e) => e instanceof sdk.EcbError && e.code === 'UNAUTHORIZED');
  let asked = 0;
  const stale = await client(ECB_URL, { userToken: EXPIRED_TOKEN, refreshToken: () => { asked++; return EXPIRED_TOKEN + 'x'; } });
  await assert.rejects(stale.getThreads(), (e) => e.code === 'UNAUTHORIZED');
  assert.equal(asked, 1);
});

test('a failed first connect is retried with backoff until the node is reachable', async () => {
  const state = newState();
  proxy.refuse();
  const c = new sdk.EcbClient(proxy.url + '/eventbus', { SockJS: instrumentedSockJS(state), minReconnectDelay: 20, maxReconnectDelay: 100 });
  clients.push(c);
  const connected = c.connect();
  await state.until(() => state.opened >= 3, () => 'three attempts');
  assert.equal(c.state, 'connecting');
  proxy.accept();
  await connected;
  assert.equal(c.state, 'open');
  assert.equal((await c.getUserToken('access-u3')).user.userId, 'u3');

  // Without reconnect, a failed connect rejects, and a later connect() tries again.
  proxy.refuse();
  const once = new sdk.EcbClient(proxy.url + '/eventbus', { SockJS, reconnect: false });
  clients.push(once);
  await assert.rejects(once.connect(), (e) => e instanceof sdk.EcbError && e.code === 'DISCONNECTED');
  proxy.accept();
  await once.connect();
  assert.equal(once.state, 'open');
});

test('close() ends a pending connect with CLOSED', async () => {
  proxy.refuse();
  const c = new sdk.EcbClient(proxy.url + '/eventbus', { SockJS });
  const connecting = c.connect();
  c.close();
  await assert.rejects(connecting, (e) => e.code === 'CLOSED');
  proxy.accept();
});

test('connect() rejects at once what no retry can mend: no SockJS, or a URL SockJS refuses', async () => {
  const bare = new sdk.EcbClient(ECB_URL + '/eventbus');
  await assert.rejects(bare.connect(), (e) => e instanceof sdk.EcbError && e.code === 'NO_SOCKJS' && e.status === 0);
  const ftp = new sdk.EcbClient('ftp://127.0.0.1/eventbus', { SockJS });
  await assert.rejects(ftp.connect(), (e) => e.code === 'BAD_REQUEST' && e.status === 0);
  assert.equal(ftp.state, 'idle');
});
