// checkUpload of the example Skill from Node, for docs/benchmarks.md: uploads per second over
// N calls after a warm-up, sync and async (one at a time, so one core, as the Rust figure).
//   node bench/check-upload.js FIXTURES_DIR [N] [sync|async|both]
'use strict'

const fs = require('node:fs')
const path = require('node:path')
const { Verifier } = require('..')

async function main() {
  const [dir, n = '2000', mode = 'both'] = process.argv.slice(2)
  const bundle = fs.readFileSync(path.join(dir, 'example-weather-report-1.0.0.skill'))
  const signature = fs.readFileSync(path.join(dir, 'example-weather-report-1.0.0.skill.sigstore.json'))
  const verifier = new Verifier({ trustRootPath: path.join(dir, 'trust.json') })
  const count = Number(n)
  for (let i = 0; i < 200; i++) verifier.checkUploadSync(bundle, signature)
  const line = (what, seconds) =>
    console.log(`node ${what}: ${((seconds / count) * 1e6).toFixed(1)} µs per upload, ${Math.round(count / seconds)} uploads/s`)
  if (mode !== 'async') {
    const start = process.hrtime.bigint()
    for (let i = 0; i < count; i++) verifier.checkUploadSync(bundle, signature)
    line('checkUploadSync', Number(process.hrtime.bigint() - start) / 1e9)
  }
  if (mode !== 'sync') {
    const start = process.hrtime.bigint()
    for (let i = 0; i < count; i++) await verifier.checkUpload(bundle, signature)
    line('checkUpload (awaited one at a time)', Number(process.hrtime.bigint() - start) / 1e9)
  }
}

main()
