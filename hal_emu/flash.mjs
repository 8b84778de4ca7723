// The flash of the emulated Pico: rp2040js's flash controller is a stub, so the bootrom's
// flash_range_erase and flash_range_program become breakpoints that the harness serves on
// its flash array (NOR flash: erase sets bits, programming only clears them).

const BKPT_ERASE = 1;
const BKPT_PROGRAM = 2;

function romCode(a, b) {
  return a.charCodeAt(0) | (b.charCodeAt(0) << 8);
}

export function patchBootrom(words) {
  const bytes = new Uint8Array(words.buffer);
  const half = (addr) => bytes[addr] | (bytes[addr + 1] << 8);
  const table = half(0x14); // rom_func_table: (code, address) halfword pairs, 0-terminated
  const patched = {};
  for (let p = table; half(p) !== 0; p += 4) {
    const code = half(p);
    const fn = half(p + 2) & ~1;
    let imm = 0;
    if (code === romCode('R', 'E')) imm = BKPT_ERASE;
    if (code === romCode('R', 'P')) imm = BKPT_PROGRAM;
    if (imm) {
      bytes[fn] = imm; // BKPT #imm: 0xBE00 | imm, little-endian
      bytes[fn + 1] = 0xbe;
      patched[imm] = fn;
    }
  }
  if (!patched[BKPT_ERASE] || !patched[BKPT_PROGRAM]) {
    throw new Error('bootrom: flash_range_erase/program not found in its function table');
  }
  return words;
}

export function serveFlash(mcu, code) {
  const r = mcu.core.registers;
  if (code === BKPT_ERASE) {
    // flash_range_erase(offset, count, block_size, block_cmd): NOR erase sets every bit
    mcu.flash.fill(0xff, r[0], r[0] + r[1]);
  } else if (code === BKPT_PROGRAM) {
    // flash_range_program(offset, data, count): programming only clears bits
    const off = r[0];
    for (let i = 0; i < r[2]; i++) mcu.flash[off + i] &= mcu.readUint8(r[1] + i);
  } else {
    process.stderr.write(`[harness] unexpected BKPT ${code} at ${mcu.core.PC.toString(16)}\n`);
    return;
  }
  mcu.core.PC = mcu.core.LR & ~1; // return from the ROM function
}
