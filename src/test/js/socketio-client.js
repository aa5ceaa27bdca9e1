// Drives the official socket.io-client (unchanged, default options unless a scenario says
// otherwise) against ECB's Socket.IO endpoint for the Java tests in io.ecb.socketio.
//
//   node socketio-client.js <scenario> '<json arguments>'
//
// Prints JSON lines: {"ready": true} once a listening scenario follows what it should (the test
// then publishes), and a last line with the result, {"ok": true, ...} or {"ok": false, "error"}.
// Scenarios: ops, badToken, listen, slow, recovery, live.
'use strict';

const { io } = require('socket.io-client');
const readline = require('readline');

const scenario = process.argv[2];
const args = JSON.parse(process.argv[3] || '{}');
const TIMEOUT_MS = Number(args.timeoutMs || 30000);

function print(line) {
  console.log(JSON.stringify(line));
}

function finish(result) {
  print(result);
  process.exit(result.ok ? 0 : 1);
}

let step = 'start';
setTimeout(() => finish({ ok: false, error: 'timed out after ' + TIMEOUT_MS + ' ms in ' + scenario + ' at ' + step }), TIMEOUT_MS).unref();

function connect(url, nsp, auth, transports) {
  const options = { auth, forceNew: true, reconnection: false };
  if (transports) options.transports = transports;
  const socket = io(url + nsp, options);
  // The transport the Engine.IO connection opened with, before any upgrade.
  socket.io.once('open', () => { socket.openTransport = socket.io.engine.transport.name; });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => reject(err));
  });
}

function plainConnect(url, auth) {
  const socket = io(url, { auth });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => reject(err));
  });
}

function ack(socket, op, body) {
  step = op + ' ' + JSON.stringify(body).slice(0, 60);
  return socket.timeout(10000).emitWithAck(op, body);
}

function nextEvent(socket, name, accept) {
  return new Promise((resolve) => {
    const handler = (payload) => {
      if (accept(payload)) {
        socket.off(name, handler);
        resolve(payload);
      }
    };
    socket.on(name, handler);
  });
}

function upgraded(socket) {
  step = 'upgrade';
  const engine = socket.io.engine;
  if (engine.transport.name === 'websocket') return Promise.resolve();
  return new Promise((resolve) => engine.once('upgrade', () => resolve()));
}

async function ops() {
  const { url, transports, accessToken, otherUserId } = args;
  const r = {};

  // Without a userToken only getUserToken works; the client then reconnects with the token.
  const anonymous = await connect(url, '/chat', {}, transports);
  r.connectTransport = anonymous.openTransport;
  const got = await ack(anonymous, 'getUserToken', { accessToken });
  r.user = got.user;
  r.anonymousGetThreads = await ack(anonymous, 'getThreads', {});
  anonymous.disconnect();

  const s = await connect(url, '/chat', { userToken: got.userToken }, transports);
  r.openTransport = s.openTransport;
  if (!transports) await upgraded(s);
  r.contacts = await ack(s, 'getContacts', { pageStartIndex: 0, pageSize: 10 });
  r.threads = await ack(s, 'getThreads', {});
  const created = await ack(s, 'createThread', {
    memberIds: [otherUserId], message: { type: 'text', data: { messageText: 'first' } },
  });
  r.created = created;
  const threadId = created.thread.threadId;
  const threadToken = created.thread.threadToken;
  const address = 'ecb.thread.' + threadId;
  r.subscribed = await ack(s, 'subscribe', { address, threadToken });
  r.subscribedAgain = await ack(s, 'subscribe', { address, threadToken });
  r.thread = await ack(s, 'getThread', { threadToken });

  const text = 'hello over socket.io ' + Date.now();
  const live = nextEvent(s, 'message', (p) => p.message && p.message.data && p.message.data.messageText === text);
  r.sent = await ack(s, 'sendMessage', { threadToken, message: { type: 'text', data: { messageText: text } } });
  r.live = await live;

  const typing = nextEvent(s, 'typing', () => true);
  r.typingReply = await ack(s, 'sendMessage', { threadToken, message: { type: 'typing', data: true } });
  r.typing = await typing;

  // An emit without an ack is carried out too.
  const silentText = 'no ack ' + Date.now();
  const silent = nextEvent(s, 'message', (p) => p.message && p.message.data && p.message.data.messageText === silentText);
  s.emit('sendMessage', { threadToken, message: { type: 'text', data: { messageText: silentText } } });
  r.silent = await silent;

  r.recovered = await ack(s, 'subscribe', { address, threadToken, sinceOffset: r.subscribed.offset, epoch: r.subscribed.epoch });
  r.recover = await ack(s, 'recover', { address, threadToken, sinceOffset: r.subscribed.offset, epoch: r.subscribed.epoch });
  r.withoutThreadToken = await ack(s, 'getThread', {});
  r.unknown = await ack(s, 'noSuchOperation', {});
  r.forbidden = await ack(s, 'subscribe', { address: 'ecb.user.someoneElse' });
  r.unsubscribed = await ack(s, 'unsubscribe', { address });
  r.transport = s.io.engine.transport.name;
  s.disconnect();
  return { ok: true, ...r };
}

async function badToken() {
  try {
    const s = await connect(args.url, args.nsp !== undefined ? args.nsp : '/chat', args.auth, args.transports);
    s.disconnect();
    return { ok: false, error: 'connected with a bad token' };
  } catch (err) {
    return { ok: true, message: err.message, data: err.data };
  }
}

/**
 * args.sockets: [{name, nsp, auth, transports, subscribe: [{address, threadToken?, sinceOffset?}],
 * events: [names], markers?: [strings]}], args.marker: a string; a socket is done once, for each of
 * its markers (by default args.marker alone), an event's argument contains it. Payloads of
 * different streams (published from different nodes) may arrive in any order, so a socket that
 * must see several of them names each one's marker.
 */
async function listen() {
  const results = {};
  const done = [];
  for (const spec of args.sockets) {
    const url = spec.url || args.url;
    // "plain": exactly as Channel notify's front ends write it, io(url, {auth}).
    const s = spec.plain ? await plainConnect(url, spec.auth) : await connect(url, spec.nsp, spec.auth, spec.transports);
    const r = { events: [], acks: [] };
    results[spec.name] = r;
    let resolveDone;
    done.push(new Promise((resolve) => { resolveDone = resolve; }));
    const awaited = new Set(spec.markers || [args.marker]);
    for (const name of spec.events) {
      s.on(name, (payload) => {
        r.events.push({ event: name, payload });
        const text = JSON.stringify(payload);
        for (const m of awaited) if (text.includes(m)) awaited.delete(m);
        if (awaited.size === 0) resolveDone();
      });
    }
    for (const sub of spec.subscribe || []) r.acks.push(await ack(s, 'subscribe', sub));
    if (spec.upgrade) await upgraded(s);
    r.transport = s.io.engine.transport.name;
    r.socket = s;
  }
  print({ ready: true });
  await Promise.all(done);
  for (const name of Object.keys(results)) {
    results[name].socket.disconnect();
    delete results[name].socket;
  }
  return { ok: true, sockets: results };
}

/** A WebSocket client that stops reading until the test says "resume" on stdin. */
async function slow() {
  const s = await connect(args.url, '/chat', { userToken: args.userToken }, ['websocket']);
  const subscribed = await ack(s, 'subscribe', { address: args.address, threadToken: args.threadToken });
  const closed = new Promise((resolve) => s.io.engine.once('close', (reason, description) => resolve({
    reason, code: description && description.context && description.context.code,
  })));
  s.io.engine.transport.ws._socket.pause();
  print({ ready: true, subscribed });
  const lines = readline.createInterface({ input: process.stdin });
  await new Promise((resolve) => lines.on('line', (l) => { if (l.trim() === 'resume') resolve(); }));
  s.io.engine.transport.ws._socket.resume();
  const close = await closed;
  lines.close();
  return { ok: true, close };
}

/**
 * Connection-state recovery: follow a thread, see a message and the checkpoint after it, drop the
 * connection, and (when the test says "reconnect" on stdin) connect again: the client sends its
 * pid and offset, and must come back recovered with what was published in between.
 */
async function recovery() {
  const s = await connect(args.url, '/chat', { userToken: args.userToken }, args.transports);
  const lines = readline.createInterface({ input: process.stdin });
  const told = (word) => new Promise((resolve) => lines.on('line', (l) => { if (l.trim() === word) resolve(); }));
  const received = [];
  s.on('message', (p) => received.push(p.offset));
  const subscribed = await ack(s, 'subscribe', { address: args.address, threadToken: args.threadToken });
  const firstRecovered = s.recovered;
  const checkpoint = new Promise((resolve) => s.on('ecb.offsets', (offsets) => {
    if (JSON.parse(offsets).some((e) => e.a === args.address && e.o > subscribed.offset)) resolve(offsets);
  }));
  print({ ready: true, subscribed });
  step = 'checkpoint';
  await checkpoint;
  const before = received.slice();
  s.io.engine.close();
  await new Promise((resolve) => (s.connected ? s.once('disconnect', resolve) : resolve()));
  print({ disconnected: true });
  await told('reconnect');
  step = 'reconnect';
  const reconnected = new Promise((resolve) => s.once('connect', resolve));
  s.connect();
  await reconnected;
  const recovered = s.recovered;
  step = 'missed';
  await new Promise((resolve) => {
    const check = () => (received.includes(args.lastOffset) ? resolve() : setTimeout(check, 20));
    check();
  });
  s.disconnect();
  lines.close();
  return { ok: true, firstRecovered, recovered, before, after: received.slice(before.length) };
}

/**
 * Presence, read receipts and recover on /chat: two members follow a thread (args.threadToken);
 * the first hears the second arrive, asks who is online, sends a message the second marks read,
 * hears the receipt, recovers what it saw, and hears the second leave.
 */
async function live() {
  const { url, threadId, threadToken, userToken1, userToken2 } = args;
  const address = 'ecb.thread.' + threadId;
  const r = {};
  const s1 = await connect(url, '/chat', { userToken: userToken1 }, args.transports);
  const presence = [];
  const arrivals = {};
  s1.on('presence', (p) => {
    presence.push(p);
    const key = p.userId + ':' + p.online;
    if (arrivals[key]) arrivals[key]();
  });
  const heard = (userId, online) => new Promise((resolve) => {
    if (presence.some((p) => p.userId === userId && p.online === online)) resolve();
    else arrivals[userId + ':' + online] = resolve;
  });
  r.subscribed = await ack(s1, 'subscribe', { address, threadToken });
  step = 'own arrival';
  await heard(args.userId1, true);
  const s2 = await connect(url, '/chat', { userToken: userToken2 }, args.transports);
  await ack(s2, 'subscribe', { address, threadToken });
  step = 'second arrival';
  await heard(args.userId2, true);
  r.presence = await ack(s1, 'getPresence', { threadToken });
  r.presenceWithoutToken = await ack(s1, 'getPresence', {});

  const read = new Promise((resolve) => s1.on('read', resolve));
  r.sent = await ack(s1, 'sendMessage', { threadToken, message: { type: 'text', data: { messageText: 'read me' } } });
  r.markRead = await ack(s2, 'markRead', { threadToken, readOffset: r.sent.offset });
  r.markReadAhead = await ack(s2, 'markRead', { threadToken, readOffset: r.sent.offset + 10 });
  step = 'read event';
  r.read = await read;
  r.recover = await ack(s2, 'recover', { address, threadToken, sinceOffset: r.subscribed.offset, epoch: r.subscribed.epoch });
  r.recoverForbidden = await ack(s2, 'recover', { address: 'ecb.user.' + args.userId1, sinceOffset: 0, epoch: 'x' });

  s2.disconnect();
  step = 'departure';
  await heard(args.userId2, false);
  r.presenceEvents = presence;
  s1.disconnect();
  return { ok: true, ...r };
}

const scenarios = { ops, badToken, listen, slow, recovery, live };
if (!scenarios[scenario]) finish({ ok: false, error: 'unknown scenario ' + scenario });
scenarios[scenario]().then(finish, (err) => finish({ ok: false, error: String(err && err.stack || err), data: err && err.data }));
