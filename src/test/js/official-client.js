// Checks that the official Vert.x event-bus bridge client (@vertx/eventbus-bridge-client.js, used
// unchanged) works against ECB: it follows a thread, reads it, sends a message and sees it arrive,
// and gets a 401 for a request without a userToken.
//
//   node official-client.js <baseUrl> <userToken> <threadToken> <threadId>
//   (or ECB_URL, ECB_USER_TOKEN, ECB_THREAD_TOKEN, ECB_THREAD_ID)
//
// Prints one JSON line, {"ok": true, ...} or {"ok": false, "error": ...}; exits 0 on success.
'use strict';

const EventBus = require('@vertx/eventbus-bridge-client.js');

const [baseUrl, userToken, threadToken, threadId] = [
  process.argv[2] || process.env.ECB_URL,
  process.argv[3] || process.env.ECB_USER_TOKEN,
  process.argv[4] || process.env.ECB_THREAD_TOKEN,
  process.argv[5] || process.env.ECB_THREAD_ID,
];
const TIMEOUT_MS = Number(process.env.ECB_TIMEOUT_MS || 20000);

function finish(result) {
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
}

if (!baseUrl || !userToken || !threadToken || !threadId) {
  finish({ ok: false, error: 'usage: node official-client.js <baseUrl> <userToken> <threadToken> <threadId>' });
}

setTimeout(() => finish({ ok: false, error: 'timed out after ' + TIMEOUT_MS + ' ms' }), TIMEOUT_MS).unref();

/**
 * The official client's send(address, body, headers, callback) calls back with (err, frame):
 * err is {failureCode, failureType, message} for an "err" frame, frame.body is the reply.
 */
function request(eb, address, headers, body) {
  return new Promise((resolve, reject) => {
    eb.send(address, body, headers, (err, frame) => (err ? reject(err) : resolve(frame.body)));
  });
}

async function run(eb) {
  const headers = { userToken, threadToken };
  const text = 'hello from the official client ' + Date.now();
  let arrived;
  const messageArrived = new Promise((resolve, reject) => { arrived = { resolve, reject }; });
  let sentId = null;
  const seen = [];

  // registerHandler(address, headers, callback): a refused register comes back as an err
  // frame for the address, which the client hands to this callback as `err`.
  eb.registerHandler('ecb.thread.' + threadId, headers, (err, frame) => {
    if (err) {
      arrived.reject(new Error('register refused: ' + JSON.stringify(err)));
      return;
    }
    seen.push(frame.body);
    if (frame.body.kind === 'message' && sentId && frame.body.message.messageId === sentId) arrived.resolve(frame.body);
  });

  const thread = await request(eb, 'ecb.getThread', headers, {});
  if (!thread.thread || thread.thread.threadId !== threadId) throw new Error('getThread answered ' + JSON.stringify(thread));

  const sent = await request(eb, 'ecb.sendMessage', headers, {
    message: { type: 'text', data: { messageText: text } },
    clientMessageId: 'official-' + Date.now(),
  });
  sentId = sent.message.messageId;
  // The message may have arrived before the reply did.
  const early = seen.find((p) => p.kind === 'message' && p.message.messageId === sentId);
  const live = early || await messageArrived;

  let unauthorized = null;
  try {
    await request(eb, 'ecb.getThreads', {}, { pageStartIndex: 0, pageSize: 10 });
  } catch (err) {
    unauthorized = { failureCode: err.failureCode, code: JSON.parse(err.message).code };
  }
  if (!unauthorized || unauthorized.failureCode !== 401) {
    throw new Error('a request without userToken was not refused with 401: ' + JSON.stringify(unauthorized));
  }

  return {
    ok: true,
    threadId,
    historyOffset: thread.offset,
    messageId: sentId,
    messageText: live.message.data.messageText,
    offset: live.offset,
    sentOffset: sent.offset,
    unauthorized,
  };
}

const eb = new EventBus(baseUrl.replace(/\/$/, '') + '/eventbus');
eb.onerror = (err) => finish({ ok: false, error: 'bridge error: ' + JSON.stringify(err) });
eb.onclose = (e) => finish({ ok: false, error: 'connection closed: ' + (e && (e.code + ' ' + e.reason)) });
eb.onopen = () => {
  run(eb).then((result) => {
    eb.onclose = null;
    eb.close();
    finish(result);
  }, (err) => finish({ ok: false, error: String(err && err.stack || JSON.stringify(err)) }));
};
