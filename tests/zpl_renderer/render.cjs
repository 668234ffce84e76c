// Rasterise ZPL labels with zpl-renderer-js (IngridHQ's zebrash, compiled to
// WebAssembly, runs offline). Reads a JSON list of jobs on standard input:
//   [{"zpl": "^XA...^XZ", "width": dots, "height": dots, "dpmm": 8 or 12, "out": "x.png"}]
// and writes each label as a PNG. One process for all jobs: loading the
// WebAssembly module takes most of the time.
"use strict";
const fs = require("node:fs");
const { ready } = require("zpl-renderer-js");

async function main() {
  const jobs = JSON.parse(fs.readFileSync(0, "utf8"));
  const { api } = await ready;
  for (const job of jobs) {
    const png = await api.zplToBase64Async(
      job.zpl, job.width / job.dpmm, job.height / job.dpmm, job.dpmm
    );
    fs.writeFileSync(job.out, Buffer.from(png, "base64"));
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(String(err && err.stack ? err.stack : err));
    process.exit(1);
  }
);
