// The benchmark's load client for S1 (idle connections), S2 (fan-out) and S4 (S2 across two nodes):
// N WebSocket subscribers over loopback from several 127.0.0.x source addresses, one thin adapter
// per protocol, every message of every subscriber counted and timed. See src/bench/README.md.
//
//   node load.js --proto=ecb|ecb-sio|sio|uws|raw --port=P --mode=idle|fanout --subs=N ...
//
// Protocols: ecb (the ECB bridge over SockJS's WebSocket transport, as vertx-eventbus.js speaks it),
// ecb-sio and sio (Engine.IO v4 / Socket.IO v5, namespace /chat, emit("subscribe", {address}, ack):
// ECB's Socket.IO transport and the Socket.IO 4.8 server of socketio-server.js, one client for
// both), uws (uws-server.js) and raw (io.ecb.bench.RawBroadcastServer): plain text frames.
//
// Every message carries "@@<intended send time, ns>@@" and the publisher (a worker thread of this
// process, on a fixed schedule) stamps the time it was due, not the time it went out: a publisher
// or server that falls behind shows as latency (the coordinated-omission correction, as in wrk2).
// Most subscribers find the stamps in each frame's bytes; every --parse-every'th subscriber decodes
// each frame as a browser library does (UTF-8 to a string, the protocol's framing, JSON.parse of
// every message, the payload's data field) and its latency is reported apart as parsed_*.
// Each step also records the CPU the server process(es) and this process used, and how busy both
// cores were (/proc), so that a step whose load core was past --client-bound-pct is marked
// client_bound=yes: its latency measures the client as much as the server.
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const http = require('http');
const fs = require('fs');
const crypto = require('crypto');

const T0 = process.hrtime.bigint();
const nowNs = () => Number(process.hrtime.bigint() - T0);

if (!isMainThread) publisherThread();
else main().catch((e) => { console.error(e); process.exit(1); });

function parseArgs(argv) {
  const a = {};
  for (const s of argv) {
    const m = /^--([^=]+)=(.*)$/.exec(s);
    if (!m) throw new Error(`bad argument ${s} (--name=value)`);
    a[m[1]] = m[2];
  }
  return a;
}

// ---- the publisher (worker thread) -------------------------------------------------------------

// Fixed-rate open model: a 1 ms tick sends every message whose intended time has come, stamped
// with that time (the main thread's clock: both threads read the same monotonic clock and T0).
function publisherThread() {
  const { port, proto, apiKey, channel, messageBytes, t0 } = workerData;
  const base = BigInt(t0);
  const now = () => Number(process.hrtime.bigint() - base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32, localAddress: '127.0.0.2' });
  const pad = 'x'.repeat(Math.max(0, messageBytes - 24));
  let errors = 0;
  const publish = (stamp, retry = true) => {
    const text = `@@${stamp}@@${pad}`;
    let body, headers;
    if (proto === 'ecb' || proto === 'ecb-sio') {
      body = JSON.stringify({ channel, event: 'm', data: text });
      headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${apiKey}` };
    } else {
      body = text;
      headers = { 'Content-Type': 'text/plain' };
    }
    headers['Content-Length'] = Buffer.byteLength(body);
    const path = proto === 'ecb' || proto === 'ecb-sio' ? '/api/v1/publish' : '/publish';
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers, agent }, (res) => {
      if (res.statusCode >= 300 && errors++ < 3) console.error(`publish failed: ${res.statusCode}`);
      res.resume();
    });
    req.on('error', (e) => {
      // A kept-alive connection the server closed as idle (uWS does after 10 s) as it was reused:
      // sent again once, with its original stamp, so the delay shows as latency.
      if (retry && req.reusedSocket && e.code === 'ECONNRESET') publish(stamp, false);
      else if (errors++ < 3) console.error(`publish failed: ${e.message}`);
    });
    req.end(body);
  };
  parentPort.on('message', ({ rate, total, start }) => {
    const interval = 1e9 / rate;
    let sent = 0;
    const errorsBefore = errors;
    const tick = setInterval(() => {
      const t = now();
      while (sent < total) {
        const intended = Math.round(start + sent * interval);
        if (intended > t) break;
        publish(intended);
        sent++;
      }
      if (sent >= total) {
        clearInterval(tick);
        // Let the last requests complete before reporting their errors.
        setTimeout(() => parentPort.postMessage({ sent, errors: errors - errorsBefore }), 200);
      }
    }, 1);
  });
}

// ---- tokens (RS256, the claims of io.ecb.bench.StubBackend.userToken) ---------------------------

function b64url(s) {
  return Buffer.from(s).toString('base64url');
}

function userToken(key, userId, channel) {
  const iat = Math.floor(Date.now() / 1000);
  const head = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256' }));
  const claims = b64url(JSON.stringify({ userId, displayName: `User ${userId}`, channels: [channel], iat, exp: iat + 6 * 3600 }));
  const sig = crypto.sign('sha256', Buffer.from(`${head}.${claims}`), key).toString('base64url');
  return `${head}.${claims}.${sig}`;
}

// ---- histograms and /proc ------------------------------------------------------------------------

function newHistogram(hdr) {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120e6, numberOfSignificantValueDigits: 3,
    useWebAssembly: false });
}

function procCpuSeconds(pid, clkTck) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
    return (Number(f[11]) + Number(f[12])) / clkTck; // utime, stime: fields 14 and 15
  } catch (e) {
    return NaN;
  }
}

function coreTimes() { // cpu index -> {busy, total} in ticks
  const out = {};
  for (const line of fs.readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    const total = v.slice(0, 8).reduce((x, y) => x + y, 0);
    out[m[1]] = { busy: total - v[3] - v[4], total };
  }
  return out;
}

// ---- main ------------------------------------------------------------------------------------------

async function main() {
  const A = parseArgs(process.argv.slice(2));
  const hdr = require('hdr-histogram-js');
  const WebSocket = require('ws');
  const proto = A.proto || 'ecb';
  const mode = A.mode || 'fanout';
  const host = '127.0.0.1';
  const port = Number(A.port || 8080);
  const subs = Number(A.subs || 1000);
  const first = Number(A.first || 0);
  const sources = Number(A.sources || 4);
  const sourceBase = Number(A['source-base'] || 10);
  const channel = A.channel || 'bench';
  const address = `ecb.channel.${channel}`;
  const parseEvery = Number(A['parse-every'] || 10);
  const clkTck = Number(A['clk-tck'] || 100);
  const serverPids = (A['server-pids'] || '').split(',').filter(Boolean).map(Number);
  const serverCpu = A['server-cpu'] || '0';
  const loadCpu = A['load-cpu'] || '1';
  const key = proto === 'ecb' || proto === 'ecb-sio' ? crypto.createPrivateKey(fs.readFileSync(A.key || 'target/bench/private.pem')) : null;

  const all = newHistogram(hdr);
  const parsed = newHistogram(hdr);
  let received = 0;
  let parseErrors = 0;
  let lastReceive = 0;
  let closed = 0;
  const conns = [];

  // Per message of the current step, by its index: when its first and its last delivery came.
  let stepStart = 0, stepInterval = 1, firstUs = new Float64Array(0), lastUs = new Float64Array(0);
  const record = (c, stamp, now, hist) => {
    const us = Math.max(1, Math.round((now - stamp) / 1000));
    const k = Math.round((stamp - stepStart) / stepInterval);
    if (k >= 0 && k < firstUs.length) {
      if (firstUs[k] === 0 || us < firstUs[k]) firstUs[k] = us;
      if (us > lastUs[k]) lastUs[k] = us;
    }
    hist.recordValue(Math.min(us, 120e6));
    received++;
    c.step++;
    lastReceive = now;
  };

  // Every stamp in a frame's bytes (a frame may carry several messages).
  const matchBytes = (c, data) => {
    let i = data.indexOf('@@');
    if (i < 0) return false;
    const now = nowNs();
    while (i >= 0) {
      let p = i + 2, stamp = 0;
      for (let b = data[p]; b >= 48 && b <= 57; b = data[++p]) stamp = stamp * 10 + (b - 48);
      if (p > i + 2) record(c, stamp, now, all);
      i = data.indexOf('@@', p + 2);
    }
    return true;
  };

  const stampOfText = (text) => {
    if (typeof text !== 'string' || !text.startsWith('@@')) return -1;
    let p = 2, stamp = 0;
    for (let ch = text.charCodeAt(p); ch >= 48 && ch <= 57; ch = text.charCodeAt(++p)) stamp = stamp * 10 + (ch - 48);
    return p > 2 ? stamp : -1;
  };
  // A sampled frame that does not carry what was published: counted, the first few shown.
  let badShown = 0;
  const bad = (what) => {
    parseErrors++;
    if (badShown++ < 3) console.error(`unexpected delivery: ${String(what).slice(0, 300)}`);
  };
  const parsedData = (c, data, now) => {
    const stamp = stampOfText(data);
    if (stamp < 0) { bad(JSON.stringify(data)); return; }
    record(c, stamp, now, all);
    parsed.recordValue(Math.min(Math.max(1, Math.round((now - stamp) / 1000)), 120e6));
  };

  // ---- adapters: onText(c, text) for control frames; parse(c, text) decodes a sampled frame as
  // a browser library would and records what it carried (returns false for a control frame).
  const sioAdapter = {
    path: () => '/socket.io/?EIO=4&transport=websocket',
    onText(c, text) {
      if (text === '2') c.ws.send('3');
      else if (text.startsWith('0{')) c.ws.send(`40/chat,${JSON.stringify(c.token ? { userToken: c.token } : {})}`);
      else if (text.startsWith('40/chat,')) c.ws.send(`42/chat,1${JSON.stringify(['subscribe', { address }])}`);
      else if (text.startsWith('43/chat,1[')) {
        const [ack] = JSON.parse(text.slice(9));
        if (ack && ack.error) c.fail(`subscribe: ${JSON.stringify(ack.error)}`);
        else c.ready();
      } else if (text.startsWith('44/chat,')) c.fail(`connect error: ${text}`);
    },
    parse(c, text) {
      if (!text.startsWith('42/chat,')) return false;
      const now = nowNs();
      const [event, payload] = JSON.parse(text.slice(8));
      // Other events (ECB's "ecb.offsets", its recovery positions) are not deliveries.
      if (event !== 'notification') return true;
      if (!payload) bad(text);
      else parsedData(c, payload.data, now);
      return true;
    },
  };
  const adapters = {
    ecb: {
      path: (i) => `/eventbus/${String(i % 1000).padStart(3, '0')}/${crypto.randomBytes(8).toString('hex')}/websocket`,
      onText(c, text) {
        if (text === 'o') {
          const frame = (m) => JSON.stringify([JSON.stringify(m)]);
          c.ws.send(frame({ type: 'register', address, headers: { userToken: c.token } }));
          // Any address outside the spec's table is refused with an err to the replyAddress; the
          // bridge answers a later frame only once the register is in effect cluster-wide.
          c.ws.send(frame({ type: 'send', address: 'ecb.bench.confirm', replyAddress: 'bench.confirm', body: {} }));
          // Every 5 s like vertx-eventbus.js, each connection at its own phase, so no gap comes near
          // the bridge's 10 s ping timeout.
          const ping = frame({ type: 'ping' });
          c.timer = setTimeout(() => {
            c.ws.send(ping);
            c.timer = setInterval(() => c.ws.readyState === 1 && c.ws.send(ping), 5000);
          }, 1 + Math.random() * 5000);
        } else if (text.startsWith('a[')) {
          for (const s of JSON.parse(text.slice(1))) {
            const m = JSON.parse(s);
            if (m.address === 'bench.confirm') c.ready();
            else if (m.type === 'err') c.fail(`bridge error: ${s}`);
          }
        } else if (text.startsWith('c[')) c.fail(`closed by server: ${text}`);
      },
      parse(c, text) {
        if (!text.startsWith('a[')) return false;
        const now = nowNs();
        let any = false;
        for (const s of JSON.parse(text.slice(1))) {
          const m = JSON.parse(s);
          if (m.type !== 'rec' || m.address !== address) continue;
          any = true;
          parsedData(c, m.body && m.body.data, now);
        }
        return any;
      },
    },
    'ecb-sio': sioAdapter,
    sio: sioAdapter,
    uws: {
      path: () => '/ws',
      onText(c, text) { if (text === 'ok') c.ready(); },
      parse(c, text) {
        if (!text.startsWith('@@')) return false;
        parsedData(c, text, nowNs());
        return true;
      },
    },
  };
  adapters.raw = adapters.uws;
  const adapter = adapters[proto];
  if (!adapter) throw new Error('--proto must be ecb, ecb-sio, sio, uws or raw');

  // ---- connecting --------------------------------------------------------------------------------
  const connectAll = () => new Promise((resolveAll) => {
    const t0 = Date.now();
    let ok = 0, failed = 0, next = 0, inFlight = 0;
    const concurrency = Number(A.concurrency || 200);
    const launch = () => {
      while (inFlight < concurrency && next < subs) {
        const i = first + next++;
        inFlight++;
        connectOne(i).then(() => ok++, (e) => { if (failed++ < 3) console.error(`client ${i} failed: ${e.message || e}`); })
          .finally(() => {
            inFlight--;
            if (ok + failed === subs) {
              console.log(`CONNECTED ready=${ok} failed=${failed} seconds=${((Date.now() - t0) / 1000).toFixed(1)}`);
              resolveAll(ok);
            } else launch();
          });
      }
    };
    if (subs === 0) resolveAll(0); else launch();
  });

  const connectOne = (i) => new Promise((resolve, reject) => {
    const c = { index: i, step: 0, sampled: (i - first) % parseEvery === 0, ok: false, timer: null };
    c.token = key ? userToken(key, `u${i}`, channel) : null;
    const ws = new WebSocket(`ws://${host}:${port}${adapter.path(i)}`, {
      localAddress: `127.0.0.${sourceBase + (i % sources)}`, perMessageDeflate: false, skipUTF8Validation: true,
      handshakeTimeout: 30000,
    });
    c.ws = ws;
    const deadline = setTimeout(() => c.fail('not ready after 30 s'), 30000);
    c.ready = () => { if (!c.ok) { c.ok = true; clearTimeout(deadline); conns.push(c); resolve(); } };
    c.fail = (why) => { clearTimeout(deadline); reject(new Error(why)); if (!c.ok) ws.terminate(); };
    ws.on('message', (data, isBinary) => {
      if (Array.isArray(data)) data = Buffer.concat(data);
      if (c.sampled && c.ok) {
        if (adapter.parse(c, data.toString('utf8'))) return;
      } else if (matchBytes(c, data)) return;
      adapter.onText(c, data.toString('utf8'));
    });
    ws.on('error', (e) => c.fail(e.message));
    ws.on('close', (code, reason) => {
      clearTimeout(c.timer); clearInterval(c.timer);
      if (c.ok && closed++ < 3) console.error(`client ${i} closed by server: ${code} ${reason}`);
      c.fail(`closed ${code} ${reason}`);
    });
  });

  const ready = await connectAll();
  if (mode === 'idle') {
    console.log(`READY ${ready}`);
    setTimeout(() => { console.log(`IDLE closed_by_server=${closed}`); process.exit(0); }, Number(A.hold || 3600) * 1000);
    return;
  }
  if (ready < subs) console.log(`WARN only ${ready} of ${subs} subscribers ready`);

  // ---- fan-out steps -----------------------------------------------------------------------------
  const pub = new Worker(__filename, { workerData: { port: Number(A['publish-port'] || port), proto,
    apiKey: A['api-key'] || 'bench-publisher', channel, messageBytes: Number(A['message-bytes'] || 100), t0: T0.toString() } });
  const p99Limit = Number(A['p99-limit-ms'] || 100);
  const clientBoundPct = Number(A['client-bound-pct'] || 90);
  const drainMs = Number(A['drain-seconds'] || 10) * 1000;
  const sampled = conns.filter((c) => c.sampled).length;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  const step = async (rate, seconds, warmup) => {
    const total = Math.round(rate * seconds);
    all.reset(); parsed.reset();
    received = 0; parseErrors = 0;
    for (const c of conns) c.step = 0;
    const closedBefore = closed;
    const start = nowNs() + 20e6;
    stepStart = start; stepInterval = 1e9 / rate;
    firstUs = new Float64Array(total); lastUs = new Float64Array(total);
    const cores0 = coreTimes(), load0 = process.cpuUsage(), srv0 = serverPids.map((p) => procCpuSeconds(p, clkTck));
    const published = new Promise((r) => pub.once('message', r));
    pub.postMessage({ rate, total, start });
    const { errors } = await published;
    const expected = total * conns.length;
    const drainUntil = Date.now() + drainMs;
    while (received < expected && Date.now() < drainUntil) await sleep(20);
    const end = nowNs();
    const cores1 = coreTimes(), load1 = process.cpuUsage(), srv1 = serverPids.map((p) => procCpuSeconds(p, clkTck));
    const wall = (end - start) / 1e9;
    const srvSeconds = srv1.reduce((s, v, k) => s + (v - srv0[k]), 0);
    const busy = (cpu) => {
      const a = cores0[cpu], b = cores1[cpu];
      return a && b ? (100 * (b.busy - a.busy)) / (b.total - a.total) : NaN;
    };
    const loadPct = (100 * ((load1.user - load0.user) + (load1.system - load0.system))) / 1e6 / wall;
    const loadCorePct = busy(loadCpu);
    const lost = Math.max(0, expected - received);
    const p99 = all.getValueAtPercentile(99) / 1000;
    const ms = (h, q) => (h.totalCount ? (h.getValueAtPercentile(q) / 1000).toFixed(2) : '-');
    const clientBound = loadCorePct > clientBoundPct || loadPct > clientBoundPct;
    if (lost > 0 && !warmup) {
      let short = 0, worst = 0;
      for (const c of conns) { const miss = total - c.step; if (miss > 0) { short++; worst = Math.max(worst, miss); } }
      console.log(`LOSS connections_short=${short} worst_connection_missing=${worst} closed_during_step=${closed - closedBefore}`);
    }
    // Over the step's messages: how soon each reached its first socket, and how late its last.
    const sortedTimes = (a) => Array.from(a).filter((v) => v > 0).sort((x, y) => x - y);
    const at = (sorted, q) => (sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / 1000).toFixed(2) : '-');
    const firsts = sortedTimes(firstUs), lasts = sortedTimes(lastUs);
    const pass = p99 <= p99Limit && lost === 0 && errors === 0 && parseErrors === 0;
    console.log(`${warmup ? 'WARMUP' : 'STEP'} proto=${proto} subs=${conns.length} rate=${rate} offered=${rate * conns.length}`
      + ` delivered_per_s=${(received / Math.max(seconds, (lastReceive - start) / 1e9)).toFixed(0)}`
      + ` p1_ms=${ms(all, 1)} p50_ms=${ms(all, 50)} p99_ms=${ms(all, 99)} p999_ms=${ms(all, 99.9)} max_ms=${(all.maxValue / 1000).toFixed(2)}`
      + ` first_p50_ms=${at(firsts, 0.5)} first_p90_ms=${at(firsts, 0.9)} last_p50_ms=${at(lasts, 0.5)} last_p90_ms=${at(lasts, 0.9)}`
      + ` parsed_subs=${sampled} parsed_p50_ms=${ms(parsed, 50)} parsed_p99_ms=${ms(parsed, 99)} parse_errors=${parseErrors}`
      + ` lost=${lost} publish_errors=${errors}`
      + ` server_us_per_delivery=${received ? ((srvSeconds * 1e6) / received).toFixed(2) : '-'}`
      + ` server_cpu_pct=${((100 * srvSeconds) / wall).toFixed(0)} server_core_pct=${busy(serverCpu).toFixed(0)}`
      + ` load_cpu_pct=${loadPct.toFixed(0)} load_core_pct=${loadCorePct.toFixed(0)}`
      + ` client_bound=${clientBound ? 'yes' : 'no'} pass=${pass ? 'yes' : 'no'} window_s=${wall.toFixed(1)}`);
    // Saturated (deliveries still missing after the drain, or publishes refused): higher rates
    // only take longer to fail. A step over the p99 limit goes on to the next rate, so that every
    // rate of the list has its figures for every server that keeps up at all.
    return lost === 0 && errors === 0;
  };

  const rates = (A.rates || '20,50,100').split(',').map(Number);
  const seconds = Number(A['step-seconds'] || 10);
  // Warm-up at the first rate, not reported: long enough for the JITs to finish compiling.
  await step(rates[0], Number(A['warmup-seconds'] || 3), true);
  for (const r of rates) {
    if (!(await step(r, seconds, false))) {
      console.log(`STOP saturated at rate=${r}`);
      break;
    }
  }
  process.exit(0);
}
