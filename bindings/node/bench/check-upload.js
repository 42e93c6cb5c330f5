// checkUpload of the example Skill from Node, for docs/benchmarks.md: uploads per second over
// N calls after a warm-up, sync and async (one at a time, so one core, as the Rust figure).
//   node bench/check-upload.js FIXTURES_DIR [N]
'use strict'

const fs = require('node:fs')
const path = require('node:path')
const { Verifier } = require('..')

async function main() {
  const [dir, n = '2000'] = process.argv.slice(2)
  const bundle = fs.readFileSync(path.join(dir, 'example-weather-report-1.0.0.skill'))
  const signature = fs.readFileSync(path.join(dir, 'example-weather-report-1.0.0.skill.sigstore.json'))
  const verifier = new Verifier({ trustRootPath: path.join(dir, 'trust.json') })
  const count = Number(n)
  for (let i = 0; i < 200; i++) verifier.checkUploadSync(bundle, signature)
  let start = process.hrtime.bigint()
  for (let i = 0; i < count; i++) verifier.checkUploadSync(bundle, signature)
  const sync = Number(process.hrtime.bigint() - start) / 1e9
  start = process.hrtime.bigint()
  for (let i = 0; i < count; i++) await verifier.checkUpload(bundle, signature)
  const asyncSeconds = Number(process.hrtime.bigint() - start) / 1e9
  const line = (what, seconds) =>
    console.log(`node ${what}: ${((seconds / count) * 1e6).toFixed(1)} µs per upload, ${Math.round(count / seconds)} uploads/s`)
  line('checkUploadSync', sync)
  line('checkUpload (awaited one at a time)', asyncSeconds)
}

main()
