// The upload endpoint end to end over loopback: good and bad uploads posted to a server this
// test starts on 127.0.0.1, answered with skillsig's codes.
'use strict'

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const { createServer } = require('./server.js')

let dir
let server
let url
let bundle
let signature

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-upload-node-'))
  execFileSync(path.join(__dirname, '..', '..', 'bindings', 'fixtures.sh'), [dir], { stdio: 'inherit' })
  bundle = fs.readFileSync(path.join(dir, 'example-weather-report-1.0.0.skill'))
  signature = fs.readFileSync(path.join(dir, 'example-weather-report-1.0.0.skill.sigstore.json'))
  server = createServer(path.join(dir, 'trust.json'))
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${server.address().port}/upload`
})

after(() => {
  server.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

async function post(body) {
  const response = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) })
  return [response.status, await response.json()]
}

const upload = (bundleBytes, signatureBytes) => ({
  bundle: Buffer.from(bundleBytes).toString('base64'),
  signature: Buffer.from(signatureBytes).toString('base64'),
})

test('a signed upload is accepted', async () => {
  const [status, body] = await post(upload(bundle, signature))
  assert.equal(status, 200, JSON.stringify(body))
  assert.equal(body.accepted, 'example/weather-report@1.0.0')
  assert.equal(body.publisher, 'example')
  assert.equal(body.scan.verdict, 'pass')
})

test('bad uploads are refused with the check\'s code', async () => {
  const foreign = fs.readFileSync(path.join(dir, 'foreign.sigstore.json'))
  let [status, body] = await post(upload(bundle, foreign))
  assert.equal(status, 422)
  assert.equal(body.code, 'unknown-key')

  const changed = Buffer.from(bundle)
  changed[changed.length - 1] ^= 1;
  [status, body] = await post(upload(changed, signature))
  assert.equal(status, 422)
  assert.equal(body.code, 'bundle-invalid')

  ;[status, body] = await post({ bundle: '%%%', signature: '%%%' })
  assert.equal(status, 422)
  assert.equal(body.code, 'bad-request')

  ;[status, body] = await post('not json')
  assert.equal(status, 422)
  assert.equal(body.code, 'bad-request')
})

test('a trust root that cannot be read stops the server from starting', () => {
  assert.throws(() => createServer(path.join(dir, 'missing.json')), (e) => e.code === 'io' && e.exit === 2)
})
