// The script of the axum_web example's page, bundled by build.sh into bundle.js: calls
// HelloService.say on the server that served the page, with Apache Thrift's JavaScript
// library (the browser build of npm `thrift`) and the client `thrift --gen js:node` makes
// from examples/idl/hello.thrift. JSON protocol; one XHR `POST /thrift` per call.
'use strict';

const thrift = require('thrift');
const HelloService = require('./gen-nodejs/HelloService');

// The content type Apache's own browser library (lib/js) sends for the JSON protocol. The
// npm package's XHR connection sends none unless told; the server tells the protocol from
// the body either way, and answers in this type when asked in it.
const JSON_TYPE = 'application/vnd.apache.thrift.json; charset=utf-8';

// How long a call may take before the page gives up on it: the XHR connection calls back
// only on a 200 answer, so a refused or lost call would otherwise wait for ever.
const CALL_TIMEOUT_MS = 10000;

const form = document.getElementById('say');
const input = document.getElementById('msg');
const button = form.querySelector('button');
const reply = document.getElementById('reply');
const error = document.getElementById('error');

// Host and port given apart: the connection joins them itself (`location.host` already
// holds the port).
const connection = thrift.createXHRConnection(location.hostname, location.port, {
  path: '/thrift',
  https: location.protocol === 'https:',
  protocol: thrift.TJSONProtocol,
  transport: thrift.TBufferedTransport,
  headers: { 'Content-Type': JSON_TYPE, Accept: JSON_TYPE },
});
const client = thrift.createXHRClient(HelloService, connection);

// What the connection does not report: an HTTP answer other than 200, or none at all.
const newRequest = connection.getXmlHttpRequestObject.bind(connection);
connection.getXmlHttpRequestObject = function () {
  const request = newRequest();
  request.addEventListener('loadend', () => {
    if (request.status === 0) {
      finish(new Error('POST /thrift failed: no answer from the server'));
    } else if (request.status !== 200) {
      const why = `${request.status} ${request.statusText}: ${request.responseText}`;
      finish(new Error(`POST /thrift answered ${why.trim()}`));
    }
  });
  return request;
};
// A reply to a method this client does not know.
connection.on('error', (e) => finish(e));
// A reply the library cannot decode throws inside its XHR callback.
window.addEventListener('error', (e) => finish(e.error || new Error(e.message)));

let timer = null; // set while a call is in flight: one at a time

function finish(err, answer) {
  if (timer === null) {
    return;
  }
  clearTimeout(timer);
  timer = null;
  button.disabled = false;
  if (err) {
    error.textContent = (err && err.message) || String(err);
  } else {
    reply.textContent = answer;
  }
}

function say(msg) {
  if (timer !== null) {
    return;
  }
  button.disabled = true;
  reply.textContent = '';
  error.textContent = '';
  timer = setTimeout(
    () => finish(new Error(`no reply from POST /thrift within ${CALL_TIMEOUT_MS} ms`)),
    CALL_TIMEOUT_MS,
  );
  try {
    client.say(msg, finish);
  } catch (e) {
    finish(e);
  }
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  say(input.value);
});

say('Hello!');
