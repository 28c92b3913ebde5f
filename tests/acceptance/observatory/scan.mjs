// Grades a hub with MDN HTTP Observatory's own retriever, tests and grading tables, on a port of
// our choosing (the packaged CLI only scans ports 80 and 443). Prints one JSON object.
// Usage: NODE_EXTRA_CA_CERTS=<the hub's CA> node scan.mjs <hostname> <port>
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, "node_modules", "@mdn", "mdn-http-observatory");

// The HSTS preload list is downloaded by the package's install script, which an offline install
// skips: a local hub is on no preload list, so an empty one is the truth here.
const preload = path.join(root, "conf", "hsts-preload.json");
if (!fs.existsSync(preload)) {
  fs.writeFileSync(preload, "{}");
}

const { retrieve } = await import(path.join(root, "src", "retriever", "retriever.js"));
const { ALL_TESTS } = await import(path.join(root, "src", "constants.js"));
const { getGradeForScore, getScoreModifier } = await import(
  path.join(root, "src", "grader", "grader.js")
);
const { MINIMUM_SCORE_FOR_EXTRA_CREDIT } = await import(
  path.join(root, "src", "grader", "charts.js")
);

const [hostname, port] = process.argv.slice(2);
const requests = await retrieve(hostname, { httpPort: port, httpsPort: port });
if (!requests.responses.auto) {
  console.log(JSON.stringify({ error: "no response" }));
  process.exit(1);
}
const tests = {};
let bonus = 0;
let penalties = 0;
for (const test of ALL_TESTS) {
  const outcome = test(requests);
  const modifier = outcome.result ? getScoreModifier(outcome.result) : 0;
  if (modifier < 0) {
    penalties += modifier;
  } else {
    bonus += modifier;
  }
  tests[outcome.constructor.name] = { result: outcome.result, pass: outcome.pass, modifier };
}
// Extra credit counts only for a site that earns an A without it (the Observatory's rule).
const base = 100 + penalties;
const score = base >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? base + bonus : base;
const { grade } = getGradeForScore(score);
const status = requests.responses.auto.status;
console.log(JSON.stringify({ grade, score, status, tests }, null, 2));
