// The emulated Pico: rp2040js running the official MicroPython rp2 image, driven in lockstep
// by hal_emu/node.py over JSON lines on stdin (requests) and stdout (one reply per request).
// Facts and pitfalls it works around: docs/emulator.md (from shared/EMULATOR.md).
//
//   node hal_emu/harness.mjs BOOTROM.bin FLASH.bin
//
// Requests: {"op": "config", "watch": [gpio...], "select": [gpio bit 0, gpio bit 1],
//            "inputs": {gpio: 0|1}}     the pins to report, the analog switch's select lines
//           {"op": "run", "us": N, "adc": [a0, a1, [s0, s1, s2, s3]], "inputs": {gpio: 0|1},
//            "rx": "<hex>", "slices": bool}  run N us of emulated time with these inputs held
//           {"op": "set", "stall": bool, "block_tx": bool, "clock_freeze": bool}   chip faults
//           {"op": "reset", "reason": 0|1|2}   power-on (0) or watchdog-style reboot
//           {"op": "save", "path": FILE}  write the flash contents
// Every reply carries the emulated time and what the pins, the USB host and the watchdog saw.

import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Simulator, USBCDC } from 'rp2040js';
import { patchBootrom, serveFlash } from './flash.mjs';
import { fixDmaPacing, freezableTimer } from './peripherals.mjs';

const FLASH_BASE = 0x10000000;
const CYCLE_NS = 8; // 125 MHz
const FUNCTION_PWM = 4;
const FUNCTION_SIO = 5;
const TIMER = 0x40054;
const WATCHDOG = 0x40058;
const WD_LOAD = 0x04;
const EP0_IN_BUFFER_CONTROL = 0x80;
const BUF_AVAILABLE = (1 << 10) | (1 << 26); // either half of a double buffer
const ANALOG_SWITCH_ADC = 2; // ADC2 sits behind the 4-way analog switch

const [bootromPath, flashPath] = process.argv.slice(2);
const bootrom = patchBootrom(new Uint32Array(readFileSync(bootromPath).buffer.slice(0)));
const savedFlash = new Uint8Array(readFileSync(flashPath));

// Host-side state that outlives any one boot of the chip.
let globalNs = 0; // emulated ns before the present boot
const rxQueue = []; // bytes the host sent, waiting for room in the CDC FIFO
let txBytes = []; // bytes the device sent since the last reply
let events = []; // resets, feeds since the last reply
let adc = [0, 0, [0, 0, 0, 0]];
let inputs = {};
let stall = false;
let blockTx = false;
let clockFrozen = false; // the TIMER stands still, across reboots too, until repaired
let busyCycles = 0; // cycles the core executed (not waiting) since the last feed
let board = null;

// ---- one boot of the chip ---------------------------------------------------------------
function boot(reason, flash) {
  const sim = new Simulator();
  const mcu = sim.rp2040;
  mcu.logger = quietLogger();
  mcu.loadBootrom(bootrom); // also clears the flash: set it afterwards
  mcu.flash.set(flash);
  mcu.core.PC = FLASH_BASE;
  mcu.onBreak = (code) => serveFlash(mcu, code);

  const b = { sim, mcu, cdc: new USBCDC(mcu.usbCtrl), connected: false, pendingRead: null,
              heldTx: [], resetReason: -1, bootNs: globalNs,
              timer: freezableTimer(mcu.peripherals[TIMER]) };
  b.timer.freeze(clockFrozen);
  fixDmaPacing(mcu.dma);
  const usb = mcu.usbCtrl;
  const readOut = usb.onEndpointRead;
  b.readOut = readOut;
  // Answer the CDC data OUT endpoint only when the host has bytes (an empty answer every
  // 10 us keeps the idle REPL polling at a fraction of real time). Endpoint 0 as before.
  usb.onEndpointRead = (ep, size) => {
    if (ep === b.cdc.outEndpoint && b.cdc.txFIFO.itemCount === 0) {
      b.pendingRead = [ep, size];
      return;
    }
    readOut(ep, size);
  };
  // A host that keeps the port open but stops reading: IN transfers stay pending.
  const dpram = usb.DPRAMUpdated.bind(usb);
  usb.DPRAMUpdated = (offset, value) => {
    const inCtl = EP0_IN_BUFFER_CONTROL + 8 * b.cdc.inEndpoint;
    if (blockTx && b.cdc.inEndpoint > 0 && offset === inCtl && value & BUF_AVAILABLE) {
      b.heldTx.push([offset, value]);
      return;
    }
    dpram(offset, value);
  };
  b.releaseTx = () => {
    const held = b.heldTx;
    b.heldTx = [];
    for (const [o, v] of held) dpram(o, v);
  };
  b.cdc.onDeviceConnected = () => {
    b.connected = true;
    // The REASON register is set only now: set before boot, v1.27 never enumerated.
    if (reason) mcu.peripherals[WATCHDOG].reason = reason;
  };
  b.cdc.onSerialData = (buf) => {
    for (const x of buf) txBytes.push(x);
  };

  const wd = mcu.peripherals[WATCHDOG];
  wd.onWatchdogTrigger = () => {
    // It would re-fire at the same instant forever: disarm it, then reboot from the loop.
    wd.alarm.enable = false;
    wd.timer.enable = false;
    wd.enable = false;
    b.resetReason = wd.reason;
  };
  const wdWrite = wd.writeUint32.bind(wd);
  wd.writeUint32 = (offset, value) => {
    if (offset === WD_LOAD) {
      events.push({ ev: 'feed', t_us: nowUs(b), busy_us: (busyCycles * CYCLE_NS) / 1000 });
      busyCycles = 0;
    }
    wdWrite(offset, value);
  };
  applyInputs(b);
  applyAdc(b);
  return b;
}

function quietLogger() {
  const err = (name, msg) => process.stderr.write(`[rp2040js ${name}] ${msg}\n`);
  return { debug() {}, info() {}, warn() {}, error: err };
}

function nowUs(b) {
  return (b.bootNs + b.sim.clock.nanos) / 1000;
}

function applyInputs(b) {
  for (const [pin, level] of Object.entries(inputs)) b.mcu.gpio[+pin].setInputValue(!!level);
}

function applyAdc(b) {
  const a = b.mcu.adc;
  a.channelValues[0] = adc[0];
  a.channelValues[1] = adc[1];
  a.channelValues[3] = 2068; // GP29: VSYS/3 at 5 V
}

function installSwitch(b, selectPins) {
  // ADC2 reads whichever source the select GPIOs pick (bit 0 and bit 1).
  const a = b.mcu.adc;
  const alarm = b.mcu.clock.createAlarm(() => a.completeADCRead(b.sample, false));
  a.onADCRead = (ch) => {
    let v = a.channelValues[ch];
    if (ch === ANALOG_SWITCH_ADC) {
      let sel = 0;
      selectPins.forEach((pin, bit) => { if (pinLevel(b, pin)) sel |= 1 << bit; });
      v = adc[2][sel];
    }
    b.sample = v;
    alarm.schedule(a.sampleTime * 1000);
  };
}

// ---- reading the outputs ------------------------------------------------------------------
function pinLevel(b, n) {
  const g = b.mcu.gpio[n];
  return g.outputEnable && g.outputValue ? 1 : 0;
}

function pinDuty(b, n) {
  const g = b.mcu.gpio[n];
  if (g.functionSelect === FUNCTION_PWM) {
    const ch = b.mcu.pwm.channels[(n >> 1) & 7];
    if (!(ch.csr & 1)) return 0;
    const cc = n & 1 ? ch.cc >>> 16 : ch.cc & 0xffff;
    const d = cc / (ch.top + 1);
    const inv = ch.csr & (n & 1 ? 8 : 4);
    const v = d > 1 ? 1 : d;
    return inv ? 1 - v : v;
  }
  if (g.functionSelect === FUNCTION_SIO) return pinLevel(b, n);
  return 0;
}

function slices(b) {
  const out = {};
  b.mcu.pwm.channels.forEach((ch, i) => {
    if (ch.csr & 1) out[i] = { div: ch.div, top: ch.top, cc: ch.cc, csr: ch.csr };
  });
  return out;
}

// ---- running ------------------------------------------------------------------------------
function pump(b) {
  const fifo = b.cdc.txFIFO;
  while (rxQueue.length && fifo.itemCount < fifo.size) {
    b.cdc.sendSerialByte(rxQueue.shift());
  }
  if (b.pendingRead && fifo.itemCount > 0) {
    const [ep, size] = b.pendingRead;
    b.pendingRead = null;
    b.readOut(ep, size);
  }
}

function runFor(us) {
  const target = globalNs + board.sim.clock.nanos + us * 1000;
  for (;;) {
    const b = board;
    const clock = b.sim.clock;
    const end = target - b.bootNs;
    if (clock.nanos >= end) break;
    pump(b);
    if (!blockTx && b.heldTx.length) b.releaseTx();
    const core = b.mcu.core;
    let n = 0;
    while (clock.nanos < end && b.resetReason < 0 && n < 20000) {
      if (stall || core.waiting) {
        // A stalled core runs nothing; the peripherals (watchdog included) keep time.
        const next = clock.nextAlarm ? clock.nextAlarm.nanos : end;
        const step = Math.max(0, Math.min(next, end) - clock.nanos);
        clock.tick(step);
        if (!stall && rxQueue.length) break; // let pump() feed the FIFO
        if (step === 0 && !clock.nextAlarm) break;
      } else {
        const cycles = core.executeInstruction();
        busyCycles += cycles;
        clock.tick(cycles * CYCLE_NS);
      }
      n++;
    }
    if (b.resetReason >= 0) reboot(b.resetReason);
  }
}

function reboot(reason) {
  const old = board;
  globalNs = old.bootNs + old.sim.clock.nanos;
  events.push({ ev: 'reset', t_us: globalNs / 1000, reason });
  stall = false;
  rxQueue.length = 0; // USB went away: whatever the host had queued is lost
  board = boot(reason, old.mcu.flash.subarray(0, savedFlash.length));
  installSwitch(board, selectPins);
}

let selectPins = [];

function reply(b, extra) {
  const out = {
    t_us: nowUs(b),
    connected: b.connected,
    tx: Buffer.from(txBytes).toString('hex'),
    events,
    duty: watched.map((n) => pinDuty(b, n)),
    level: watched.map((n) => pinLevel(b, n)),
    ...extra,
  };
  txBytes = [];
  events = [];
  process.stdout.write(JSON.stringify(out) + '\n');
}

let watched = [];

function handle(req) {
  switch (req.op) {
    case 'config':
      watched = req.watch;
      selectPins = req.select;
      inputs = req.inputs || {};
      applyInputs(board);
      installSwitch(board, selectPins);
      return reply(board, {});
    case 'run':
      if (req.adc) adc = req.adc;
      if (req.inputs) inputs = req.inputs;
      applyInputs(board);
      applyAdc(board);
      if (req.rx) for (const x of Buffer.from(req.rx, 'hex')) rxQueue.push(x);
      runFor(req.us);
      return reply(board, req.slices ? { slices: slices(board) } : {});
    case 'set':
      if ('stall' in req) stall = !!req.stall;
      if ('block_tx' in req) blockTx = !!req.block_tx;
      if ('clock_freeze' in req) board.timer.freeze((clockFrozen = !!req.clock_freeze));
      return reply(board, {});
    case 'reset':
      reboot(req.reason || 0);
      applyInputs(board);
      applyAdc(board);
      return reply(board, {});
    case 'save':
      writeFileSync(req.path, board.mcu.flash.subarray(0, savedFlash.length));
      return reply(board, {});
    default:
      return reply(board, { error: `unknown op ${req.op}` });
  }
}

board = boot(0, savedFlash);
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  try {
    handle(JSON.parse(line));
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: String(e && e.stack || e) }) + '\n');
  }
});
rl.on('close', () => process.exit(0));
