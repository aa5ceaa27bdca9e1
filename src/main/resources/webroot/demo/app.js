// The ECB demo chat page: sign in as a demo user, see contacts and conversations, chat live,
// see who is here and who has read what. Everything goes through ecb-client.js (the global
// EcbClient); the demo backend only hands out the accessToken.
import { PresenceDots, ReadReceipts } from './live.js';

const TYPING_EVERY_MS = 2000; // while typing, tell the others at most this often
const TYPING_SHOWN_MS = 6000; // hide someone's indicator when no refresh comes in this time
const TYPING_SERVER_MS = 1100; // the server takes one typing event per second per user and thread

const $ = (selector) => document.querySelector(selector);
const ecb = new EcbClient(location.origin + '/eventbus');

const state = {
  threads: new Map(), // threadId -> thread
  current: null, // {thread} for an open conversation, {newWith: user} before its first message
  follower: null,
  openSeq: 0, // guards against a slow openThread finishing after a newer one
  shown: new Set(), // messageIds in #messages
  typers: new Map(), // userId -> timer hiding their indicator
  typingSentAt: 0,
  typingOn: false,
  pendingSend: null, // {text, clientMessageId} of a send that may not have arrived
};

// ---- small helpers

async function fetchJson(url, body) {
  const init = body === undefined ? {} : {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  };
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(url + ' answered ' + res.status);
  return res.json();
}

/** An element with properties (`dataset` entries become data-* attributes) and children. */
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else node[key] = value;
  }
  children.forEach((c) => node.append(c));
  return node;
}

let errorTimer;
function showError(e) {
  const box = $('#error');
  box.textContent = e && e.code ? e.code + ': ' + e.message : String(e && e.message || e);
  box.hidden = false;
  clearTimeout(errorTimer);
  errorTimer = setTimeout(() => { box.hidden = true; }, 6000);
}

function setStatus(s) {
  const status = $('#status');
  status.dataset.state = s;
  status.textContent = s;
}

const me = () => ecb.user.userId;

function memberName(thread, userId) {
  const m = thread && thread.members.find((x) => x.userId === userId);
  return m ? m.displayName : userId;
}

const presence = new PresenceDots($('#members'));
const receipts = new ReadReceipts(ecb, $('#messages'),
  (userId) => memberName(state.current && state.current.thread, userId), showError);

/** A lost connection fails what was under way; the reconnect does it again. */
function unlessDisconnected(e) {
  if (!(e && e.code === 'DISCONNECTED')) showError(e);
}

function threadTitle(thread) {
  const others = thread.members.filter((m) => m.userId !== me()).map((m) => m.displayName);
  return others.length ? others.join(', ') : 'Just you';
}

// ---- sign in

async function init() {
  const users = await fetchJson('/demo/users');
  const select = $('#user-select');
  users.forEach((u) => select.append(el('option', { value: u.userId, textContent: u.displayName })));
  $('#login-form').addEventListener('submit', signIn);
  $('#logout').addEventListener('click', () => location.reload());
  $('#composer').addEventListener('submit', onSend);
  $('#message-input').addEventListener('input', onTyping);
  $('#message-input').addEventListener('blur', stopTyping);
  ecb.onclose = () => setStatus(ecb.state === 'closed' ? 'offline' : 'reconnecting…');
  ecb.onreconnect = () => {
    setStatus('connected');
    loadThreads().catch(showError);
    // The SDK recovers the thread's messages and receipts; presence is asked again.
    if (state.follower) presence.refresh(ecb, state.follower.threadToken).catch(unlessDisconnected);
    receipts.markRead();
  };
}

async function signIn(event) {
  event.preventDefault();
  $('#login').disabled = true;
  try {
    // The customer's own login stands here: it hands out an accessToken, which ECB trades
    // for a userToken.
    const { accessToken } = await fetchJson('/demo/login', { userId: $('#user-select').value });
    await ecb.connect();
    await ecb.login(accessToken);
    setStatus('connected');
    $('#me').textContent = ecb.user.displayName;
    $('#login-form').hidden = true;
    $('#session').hidden = false;
    // Follow the user stream before listing threads, so no threadCreated falls in between.
    ecb.followUser(onUserEvent, showError);
    await Promise.all([loadContacts(), loadThreads()]);
    $('#app').hidden = false;
  } catch (e) {
    $('#login').disabled = false;
    showError(e);
  }
}

// ---- contacts and conversations

async function loadContacts() {
  const page = await ecb.getContacts({ pageStartIndex: 0, pageSize: 100 });
  const list = $('#contacts');
  list.replaceChildren();
  for (const user of page.items) {
    const button = el('button', { type: 'button', textContent: user.displayName });
    if (user.data && user.data.isAgent) button.append(el('span', { className: 'badge', textContent: 'agent' }));
    button.addEventListener('click', () => openContact(user));
    list.append(el('li', { dataset: { userId: user.userId } }, button));
  }
}

async function loadThreads() {
  const page = await ecb.getThreads({ pageStartIndex: 0, pageSize: 100 });
  state.threads.clear();
  page.items.forEach((t) => state.threads.set(t.threadId, t));
  renderThreads();
}

function renderThreads() {
  const list = $('#threads');
  list.replaceChildren();
  const threads = [...state.threads.values()].sort((a, b) => (b.lastMessageTime || 0) - (a.lastMessageTime || 0));
  for (const thread of threads) {
    const button = el('button', { type: 'button', textContent: threadTitle(thread) });
    button.addEventListener('click', () => openThread(thread));
    const item = el('li', { dataset: { threadId: thread.threadId } }, button);
    if (state.current && state.current.thread && state.current.thread.threadId === thread.threadId) {
      item.classList.add('active');
    }
    list.append(item);
  }
}

function onUserEvent(event) {
  if (event.kind === 'threadCreated') {
    state.threads.set(event.thread.threadId, event.thread);
    renderThreads();
  }
}

/** A contact's existing one-to-one conversation, or a new one started by the first message. */
function openContact(user) {
  const existing = [...state.threads.values()].find((t) => t.members.length === 2
    && t.members.some((m) => m.userId === user.userId));
  if (existing) {
    openThread(existing);
    return;
  }
  leaveThread();
  state.current = { newWith: user };
  $('#thread-title').textContent = 'New conversation with ' + user.displayName;
  $('#messages').append(el('li', { className: 'hint', textContent: 'Write the first message to start it.' }));
  enableComposer();
  renderThreads();
}

function leaveThread() {
  state.openSeq++;
  if (state.follower) state.follower.unsubscribe();
  state.follower = null;
  state.current = null;
  state.shown.clear();
  presence.clear();
  receipts.open(null);
  state.typers.forEach((timer) => clearTimeout(timer));
  state.typers.clear();
  state.typingOn = false;
  renderTyping();
  $('#messages').replaceChildren();
}

async function openThread(thread) {
  leaveThread();
  const seq = state.openSeq;
  state.current = { thread };
  $('#thread-title').textContent = threadTitle(thread);
  presence.show(thread);
  receipts.open(thread);
  enableComposer();
  renderThreads();
  try {
    const follower = await ecb.followThread(thread, onThreadPayload, {
      onReload: (reply) => showHistory(reply.messages, true),
      onError: showError,
    });
    if (seq !== state.openSeq) {
      follower.unsubscribe();
      return;
    }
    state.follower = follower;
    state.current.thread = follower.thread; // with a fresh threadToken
    showHistory(follower.messages, false);
    presence.refresh(ecb, follower.threadToken).catch(unlessDisconnected);
    receipts.follow(follower).catch(unlessDisconnected);
  } catch (e) {
    showError(e);
  }
}

function enableComposer() {
  $('#message-input').disabled = false;
  $('#send').disabled = false;
  $('#message-input').focus();
}

// ---- messages

function showHistory(messages, replace) {
  if (replace) {
    state.shown.clear();
    $('#messages').replaceChildren();
  }
  messages.forEach(addMessage);
  receipts.update();
}

/** Shows a message once, in creationTime order, whichever way (reply, history, live) it came. */
function addMessage(message) {
  if (state.shown.has(message.messageId) || !state.current || !state.current.thread) return;
  state.shown.add(message.messageId);
  const text = message.type === 'text' ? message.data.messageText : '[' + message.type + ']';
  const time = new Date(message.creationTime).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const item = el('li', {
    className: 'message ' + (message.fromUserId === me() ? 'mine' : 'theirs'),
    dataset: { messageId: message.messageId, from: message.fromUserId, time: message.creationTime },
  },
  el('span', { className: 'author', textContent: memberName(state.current.thread, message.fromUserId) }),
  el('span', { className: 'text', textContent: text }),
  el('time', { textContent: time }));
  const list = $('#messages');
  const later = [...list.children].find((li) => Number(li.dataset.time) > message.creationTime);
  list.insertBefore(item, later || null);
  list.scrollTop = list.scrollHeight;
}

function onThreadPayload(payload) {
  const thread = state.current && state.current.thread;
  if (!thread || payload.threadId !== thread.threadId) return;
  if (payload.kind === 'message') {
    receipts.learn(payload);
    addMessage(payload.message);
    receipts.update();
    hideTyper(payload.message.fromUserId);
    const listed = state.threads.get(thread.threadId);
    if (listed) listed.lastMessageTime = payload.message.creationTime;
  } else if (payload.kind === 'read') {
    receipts.learn(payload);
    receipts.render();
  } else if (payload.kind === 'presence') {
    presence.onPresence(payload);
  } else if (payload.kind === 'typing' && payload.fromUserId !== me()) {
    if (payload.data) showTyper(payload.fromUserId);
    else hideTyper(payload.fromUserId);
  }
}

async function onSend(event) {
  event.preventDefault();
  const input = $('#message-input');
  const text = input.value.trim();
  if (!text || !state.current) return;
  input.value = '';
  stopTyping();
  try {
    if (state.current.newWith) {
      const reply = await ecb.createThread([state.current.newWith.userId], text);
      state.threads.set(reply.thread.threadId, reply.thread);
      await openThread(reply.thread);
      return;
    }
    // A send that failed on the way may have arrived: sending the same text again reuses its
    // clientMessageId, so the server does not store it twice.
    const retry = state.pendingSend && state.pendingSend.text === text;
    const clientMessageId = retry ? state.pendingSend.clientMessageId : EcbClient.newId();
    state.pendingSend = { text, clientMessageId };
    const reply = await ecb.sendText(state.current.thread.threadToken, text, clientMessageId);
    state.pendingSend = null;
    if (reply.thread.threadId === state.current.thread.threadId) {
      receipts.sent(reply.message, reply.offset);
      addMessage(reply.message);
      receipts.render();
    }
  } catch (e) {
    if (!input.value) input.value = text;
    showError(e);
  }
}

// ---- typing indicator

function onTyping() {
  const thread = state.current && state.current.thread;
  if (!thread || !$('#message-input').value) return;
  const now = Date.now();
  if (now - state.typingSentAt < TYPING_EVERY_MS) return;
  state.typingSentAt = now;
  state.typingOn = true;
  ecb.sendTyping(thread.threadToken, true).catch(() => { /* best effort */ });
}

function stopTyping() {
  const thread = state.current && state.current.thread;
  if (!state.typingOn || !thread) return;
  state.typingOn = false;
  // Wait out the server's rate limit, else the "stopped" event would be refused.
  const wait = Math.max(0, state.typingSentAt + TYPING_SERVER_MS - Date.now());
  setTimeout(() => {
    state.typingSentAt = Date.now();
    ecb.sendTyping(thread.threadToken, false).catch(() => { /* best effort */ });
  }, wait);
}

function showTyper(userId) {
  clearTimeout(state.typers.get(userId));
  state.typers.set(userId, setTimeout(() => hideTyper(userId), TYPING_SHOWN_MS));
  renderTyping();
}

function hideTyper(userId) {
  if (!state.typers.has(userId)) return;
  clearTimeout(state.typers.get(userId));
  state.typers.delete(userId);
  renderTyping();
}

function renderTyping() {
  const thread = state.current && state.current.thread;
  const names = [...state.typers.keys()].map((id) => memberName(thread, id));
  $('#typing').textContent = names.length === 0 ? ''
    : names.join(' and ') + (names.length === 1 ? ' is typing…' : ' are typing…');
}

init().catch(showError);
