// rp2040js 1.4's peripherals, completed where the firmware or a fault needs them.
//
// - The TIMER's PAUSE ("Unimplemented Timer Pause"), for the clock_freeze fault: while
//   frozen the counter (TIMERAWL/H, TIMELR/HR) reads a held value and no alarm comes due;
//   released, it counts on from that value, as a paused TIMER does on the chip. The
//   watchdog keeps its own alarm on the emulated clock, so it runs on.
// - The DMA's pacing timers: a transfer every Y/X cycles of clk_sys (rp2040js takes X/Y,
//   and reads timer 3's X from the wrong bits). The Pico HAL's TIMER-free sleep uses one.

const TIMEHR = 0x08;
const TIMELR = 0x0c;
const ALARM0 = 0x10;
const ALARM3 = 0x1c;
const TIMERAWH = 0x24;
const TIMERAWL = 0x28;
const PAUSE = 0x30;

// Wraps rp2040js's RPTimer instance in place; returns {freeze(on), frozen}.
export function freezableTimer(timer) {
  const clock = timer.clock;
  const read = timer.readUint32.bind(timer);
  const write = timer.writeUint32.bind(timer);
  let offsetUs = 0; // how long the counter has stood still, in all
  let heldUs = null; // the counter's value while it stands still
  let pausedByFirmware = false; // the PAUSE register
  let faulted = false; // the clock_freeze fault

  const counterUs = () => (heldUs !== null ? heldUs : Math.floor(clock.nanos / 1000 - offsetUs));
  const hi = () => Math.floor(counterUs() / 2 ** 32) >>> 0;

  function schedule(alarm) {
    // the counter's units are us; the clock alarm fires when the counter reaches the target
    alarm.clockAlarm.schedule(((alarm.targetMicros - counterUs()) >>> 0) * 1000);
  }

  function update() {
    const stop = pausedByFirmware || faulted;
    if (stop && heldUs === null) {
      heldUs = counterUs();
      for (const a of timer.alarms) a.clockAlarm.cancel(); // armed, but never due
    } else if (!stop && heldUs !== null) {
      offsetUs = clock.nanos / 1000 - heldUs;
      heldUs = null;
      for (const a of timer.alarms) if (a.armed) schedule(a);
    }
  }

  timer.readUint32 = (offset) => {
    switch (offset) {
      case TIMELR:
        timer.latchedTimeHigh = hi();
        return counterUs() >>> 0;
      case TIMEHR:
        return timer.latchedTimeHigh;
      case TIMERAWH:
        return hi();
      case TIMERAWL:
        return counterUs() >>> 0;
      case PAUSE:
        return pausedByFirmware ? 1 : 0;
      default:
        return read(offset);
    }
  };
  timer.writeUint32 = (offset, value) => {
    if (offset >= ALARM0 && offset <= ALARM3) {
      const alarm = timer.alarms[(offset - ALARM0) / 4];
      alarm.armed = true;
      alarm.targetMicros = value >>> 0;
      if (heldUs === null) schedule(alarm);
      else alarm.clockAlarm.cancel();
    } else if (offset === PAUSE) {
      pausedByFirmware = !!(value & 1);
      update();
    } else {
      write(offset, value);
    }
  };
  return {
    freeze(on) {
      faulted = !!on;
      update();
    },
    get frozen() {
      return heldUs !== null;
    },
  };
}

const DMA_TREQ_TIMER0 = 0x3b;
const DMA_TREQ_PERMANENT = 0x3f;

export function fixDmaPacing(dma) {
  dma.getTimer = (treq) => {
    if (treq === DMA_TREQ_PERMANENT) return 0;
    const reg = [dma.timer0, dma.timer1, dma.timer2, dma.timer3][treq - DMA_TREQ_TIMER0];
    if (reg === undefined) return 0;
    const x = reg >>> 16;
    const y = reg & 0xffff;
    if (!x || !y) return 0;
    return ((y / x) * 1e6) / dma.rp2040.clkSys; // us per transfer
  };
}
