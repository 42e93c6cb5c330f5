// A registry's upload endpoint on plain node:http, built on skillsig's checkUpload:
// `POST /upload` with a JSON body {"bundle": base64, "signature": base64} answers
// 200 {"accepted": "ns/name@version", ...} or 422 {"code": ..., "message": ...} (the code is
// the one `skillsig` prints with --json). One trust root and policy, loaded once, serve every
// request; each check runs off the JavaScript thread.
//
//   node server.js TRUST_ROOT.json [PORT]
//
// A real registry would then store the accepted bundle; this example stops at the check,
// which is the part a registry embeds.
'use strict'

const http = require('node:http')
const { Verifier } = require('skillsig')

// The archive-safety limit on bundles (64 MiB), base64-encoded, plus room for the signature.
const MAX_BODY_BYTES = Math.ceil((64 * 1024 * 1024 * 4) / 3) + 64 * 1024

function answer(response, status, body) {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(JSON.stringify(body))
}

function refuse(response, code, message) {
  answer(response, 422, { code, message })
}

/** The request handler for `verifier` (a skillsig.Verifier). */
function handler(verifier) {
  return (request, response) => {
    if (request.method !== 'POST' || request.url !== '/upload') {
      return answer(response, 404, { code: 'not-found', message: 'POST /upload' })
    }
    const chunks = []
    let size = 0
    request.on('data', (chunk) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        refuse(response, 'too-large', `the upload is larger than ${MAX_BODY_BYTES} bytes`)
        request.destroy()
      } else {
        chunks.push(chunk)
      }
    })
    request.on('end', async () => {
      let upload
      try {
        upload = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch {
        return refuse(response, 'bad-request', 'the body must be JSON: {"bundle": base64, "signature": base64}')
      }
      const base64 = /^[A-Za-z0-9+/]*={0,2}$/
      if (typeof upload.bundle !== 'string' || typeof upload.signature !== 'string' ||
          !base64.test(upload.bundle) || !base64.test(upload.signature)) {
        return refuse(response, 'bad-request', 'bundle and signature must be base64')
      }
      try {
        const accepted = await verifier.checkUpload(
          Buffer.from(upload.bundle, 'base64'),
          Buffer.from(upload.signature, 'base64'),
        )
        answer(response, 200, {
          accepted: accepted.accepted,
          publisher: accepted.publisher,
          permissions: accepted.permissions,
          scan: { verdict: accepted.scan.verdict, counts: accepted.scan.counts },
        })
      } catch (error) {
        if (error.name !== 'SkillsigError') throw error
        refuse(response, error.code, error.message)
      }
    })
  }
}

/** An HTTP server checking uploads against the trust root at `trustRootPath`. */
function createServer(trustRootPath, options = {}) {
  return http.createServer(handler(new Verifier({ trustRootPath, ...options })))
}

module.exports = { createServer }

if (require.main === module) {
  const [trustRootPath, port = '8788'] = process.argv.slice(2)
  if (!trustRootPath) {
    console.error('usage: node server.js TRUST_ROOT.json [PORT]')
    process.exit(2)
  }
  let server
  try {
    server = createServer(trustRootPath)
  } catch (error) {
    console.error(`error: ${error.message} (${error.code})`)
    process.exit(error.exit || 2)
  }
  server.listen(Number(port), '127.0.0.1', () => {
    console.log(`Checking uploads at http://127.0.0.1:${server.address().port}/upload`)
  })
}
