// Run one MicroPython script in the official WebAssembly port (npm
// @micropython/micropython-webassembly-pyscript) under node.
//
// Input: one JSON object on stdin
//   {"script": "<python source>",
//    "mounts": [["<host dir>", "<vm dir>"], ...],   // copied recursively (no __pycache__,
//                                                    // node_modules, dot-files), first on sys.path
//    "heapsize": <bytes or null>}                    // initial heap; it grows on demand
// Output: the script's stdout on stdout. On an uncaught Python exception: its traceback
// as "PythonError <Type>: <traceback>" on stderr, exit 1 (sys.exit(n) exits n).
// Any other failure: the JS error on stderr, exit 2.
import fs from "node:fs";
import path from "node:path";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const SKIP = new Set(["__pycache__", "node_modules"]);

function mkdirs(FS, dir) {
  let cur = "";
  for (const part of dir.split("/").filter(Boolean)) {
    cur += "/" + part;
    if (!FS.analyzePath(cur).exists) FS.mkdir(cur);
  }
}

function copyTree(FS, hostDir, vmDir) {
  mkdirs(FS, vmDir);
  for (const entry of fs.readdirSync(hostDir, { withFileTypes: true })) {
    if (SKIP.has(entry.name) || entry.name.startsWith(".")) continue;
    const src = path.join(hostDir, entry.name);
    const dst = vmDir.replace(/\/+$/, "") + "/" + entry.name;
    if (entry.isDirectory()) copyTree(FS, src, dst);
    else if (entry.isFile()) FS.writeFile(dst, fs.readFileSync(src));
  }
}

const spec = JSON.parse(fs.readFileSync(0, "utf8"));
const out = [];
const err = [];
const flush = () => {
  // linebuffer:false hands us one byte at a time; gather and write once.
  if (out.length) fs.writeSync(1, Buffer.concat(out));
  if (err.length) fs.writeSync(2, Buffer.concat(err));
  out.length = 0;
  err.length = 0;
};

let code = 0;
try {
  const opts = {
    linebuffer: false,
    stdout: (b) => out.push(Buffer.from(b)),
    stderr: (b) => err.push(Buffer.from(b)),
  };
  if (spec.heapsize) opts.heapsize = spec.heapsize;
  const mp = await loadMicroPython(opts);
  const vmPaths = [];
  for (const [hostDir, vmDir] of spec.mounts || []) {
    copyTree(mp.FS, hostDir, vmDir);
    vmPaths.push(vmDir);
  }
  mp.runPython("import sys\nsys.path[:0] = " + JSON.stringify(vmPaths));
  mp.runPython(spec.script);
} catch (e) {
  flush();
  if (e && e.name === "PythonError" && e.type === "SystemExit") {
    // sys.exit(n): exit with n like the unix port does (None -> 0, non-int -> 1).
    const arg = String(e.message).trim().split("\n").pop().replace(/^SystemExit:?\s*/, "");
    code = arg === "" ? 0 : /^-?\d+$/.test(arg) ? Number(arg) & 0xff : 1;
    if (code !== 0) fs.writeSync(2, `PythonError SystemExit: ${arg}\n`);
  } else if (e && e.name === "PythonError") {
    fs.writeSync(2, `PythonError ${e.type}: ${e.message}\n`);
    code = 1;
  } else {
    fs.writeSync(2, `wasm_run: ${e && e.stack ? e.stack : e}\n`);
    code = 2;
  }
}
flush();
process.exitCode = code;
