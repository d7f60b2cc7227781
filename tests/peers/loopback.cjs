// Preload that pins every TCP listen() in this Node process to 127.0.0.1.
// Usage: NODE_OPTIONS="--require /abs/path/tests/peers/loopback.cjs" node server.js
// Reason: MCP reference servers (express app.listen(PORT)) bind all interfaces
// by default; tests must never expose them beyond loopback.
// http/https/tls servers inherit listen() from net.Server, so one patch covers all.
// Must stay silent: stdout is the JSON-RPC channel in stdio mode.
'use strict';
const net = require('node:net');

const HOST = '127.0.0.1';
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  const a0 = args[0];
  if (a0 !== null && typeof a0 === 'object') {
    // listen(options[, cb]): force host, but leave IPC paths and handles/fds alone.
    if (!('path' in a0) && !('handle' in a0) && !('fd' in a0) && !('_handle' in a0)) {
      args[0] = { ...a0, host: HOST };
    }
  } else if (typeof a0 === 'string' && !/^\d+$/.test(a0)) {
    // listen(pipePath[, backlog][, cb]): Unix socket / named pipe, not TCP.
  } else {
    // listen([port][, host][, backlog][, cb]) incl. listen(), listen(cb), listen(port, cb):
    // rewrite to the options form so the original host (if any) is dropped.
    const cb = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
    const backlog = [args[1], args[2]].find((x) => typeof x === 'number');
    const port = a0 == null || typeof a0 === 'function' ? 0 : a0;
    args = [{ port, host: HOST, ...(backlog !== undefined && { backlog }) }];
    if (cb) args.push(cb);
  }
  return listen.apply(this, args);
};
