// A fast stand-in for Segment's Tracking API for benchmarks: answers 200 and counts events in /v1/batch.
//   node segment-sink.js PORT        GET /count → {"events":N,"requests":N}   POST /reset
'use strict';
const http = require('http');
let events = 0, requests = 0;
http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    return res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ events, requests }));
  }
  if (req.method === 'POST' && req.url === '/reset') { events = 0; requests = 0; return res.writeHead(204).end(); }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    requests += 1;
    if (req.url.startsWith('/v1/batch')) events += JSON.parse(Buffer.concat(chunks)).batch.length;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"success":true}');
  });
}).listen(Number(process.argv[2] || 9184), '127.0.0.1');
