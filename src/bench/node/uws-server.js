// uWebSockets.js pub/sub server for the ECB benchmark: the fastest widely used WebSocket server, as
// the reference for S1 and S2. A WebSocket at /ws subscribes to topic "bench" and gets "ok";
// POST /publish with a text body is one app.publish to that topic (uWS writes the frame to every
// subscriber from C++). GET /stats runs a full GC (node --expose-gc) and reports heap and RSS.
// uWebSockets.js is published on GitHub, not npm; npm's `uwebsockets` is a re-publication of its
// release binaries (the commit is in node_modules/uwebsockets/source_commit).
'use strict';
const uWS = require('uwebsockets');

const port = Number(process.env.PORT || 8094);
let sockets = 0;
const app = uWS.App();
app
  .ws('/ws', {
    compression: uWS.DISABLED,
    maxPayloadLength: 64 * 1024,
    maxBackpressure: 1024 * 1024,
    idleTimeout: 120, // seconds; uWS pings, and the client's WebSocket library answers
    sendPingsAutomatically: true,
    open: (ws) => {
      sockets++;
      ws.subscribe('bench');
      ws.send('ok', false);
    },
    close: () => { sockets--; },
  })
  .post('/publish', (res) => {
    const chunks = [];
    res.onAborted(() => { res.aborted = true; });
    res.onData((chunk, last) => {
      chunks.push(Buffer.from(chunk)); // uWS reuses the chunk's memory after this callback
      if (!last) return;
      app.publish('bench', Buffer.concat(chunks), false);
      if (!res.aborted) res.cork(() => res.writeStatus('202 Accepted').end());
    });
  })
  .get('/stats', (res) => {
    if (global.gc) { global.gc(); global.gc(); }
    const m = process.memoryUsage();
    res.writeHeader('Content-Type', 'application/json').end(JSON.stringify({ sockets, heapUsed: m.heapUsed,
      external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss, gc: !!global.gc }));
  })
  .any('/*', (res) => { res.writeStatus('404 Not Found').end(); })
  .listen('127.0.0.1', port, (token) => {
    if (!token) { console.error(`uWS could not listen on ${port}`); process.exit(1); }
    console.log(`UWS READY port=${port}`);
  });
