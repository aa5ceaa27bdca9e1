// Socket.IO 4.8 server for the ECB benchmark: what people would pick instead of ECB. It speaks what
// ECB's own Socket.IO transport speaks, so that one client drives both: namespace /chat,
// emit("subscribe", {address}, ack) joins the room named by the address, and POST /publish with a
// text body emits {kind: "notification", event: "m", data: <body>} to room ecb.channel.bench as
// event "notification" (Socket.IO encodes the packet once per broadcast).
// GET /stats runs a full GC (node --expose-gc) and returns heap and RSS, for the idle scenario.
'use strict';
const http = require('http');
const { Server } = require('socket.io');

const port = Number(process.env.PORT || 8093);
const room = 'ecb.channel.bench';
const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/publish') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      chat.to(room).emit('notification', { kind: 'notification', event: 'm', data: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(202);
      res.end();
    });
  } else if (req.url === '/stats') {
    if (global.gc) { global.gc(); global.gc(); }
    const m = process.memoryUsage();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ sockets: io.engine.clientsCount, heapUsed: m.heapUsed, external: m.external,
      arrayBuffers: m.arrayBuffers, rss: m.rss, gc: !!global.gc }));
  } else if (!req.url.startsWith('/socket.io/')) {
    res.writeHead(404);
    res.end();
  }
});
// WebSocket only, as the load client speaks it; no per-message compression (the default).
const io = new Server(server, { transports: ['websocket'], serveClient: false });
const chat = io.of('/chat');
chat.on('connection', (socket) => {
  socket.on('subscribe', (body, ack) => {
    socket.join(String(body && body.address));
    if (typeof ack === 'function') ack({ offset: 0, epoch: 'bench' });
  });
});
server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => console.log(`SIO READY port=${port}`));
