"""A simulated cushion that keeps pace with the wall clock (shared by sim:// and `cushion sim`).

`hal_sim.Simulation` has a virtual clock that only moves when stepped.  A serial port must
behave like a board that keeps running whether or not anybody talks to it, so this wrapper
steps it as wall time passes, `speed` times faster than real time, and applies the scheduled
steps (faults to inject, a scenario's sends, presses, repairs and power cycles) when their
simulated second comes.
"""

import time

import hal_sim  # noqa: F401  (cushion.* needs its `micropython` stand-in under CPython)
from cushion.schema import FAULT_KINDS

MAX_SPEED = 10000.0
# Never step more than this many ticks before giving I/O a turn, so a slow host that falls
# behind still answers (late) instead of stepping flat out for seconds.
MAX_BURST_TICKS = 100
KEEP_LOG = 1000
SLOW_SPEED = 0.9          # a simulator below 90 % of the speed asked for gets a warning


def speed_report(asked, got):
    """(the achieved speed as a note, a warning or None) for a paced simulator."""
    note = f"the simulator ran at {got:.0f}x real time (asked for {asked:g}x)"
    if got >= SLOW_SPEED * asked:
        return note, None
    return note, (f"warning: speed {asked:g} is more than this computer can run the "
                  f"simulator at: it achieved about {got:.0f}x")


def parse_fault(text):
    """`"sensor_open@30"` -> `("sensor_open", 30.0)`; ValueError with the reason otherwise."""
    kind, sep, at = str(text).partition("@")
    kind = kind.strip()
    if not sep or not kind or not at.strip():
        raise ValueError(f"fault must be KIND@SECONDS, e.g. sensor_open@30 (got {text!r})")
    if kind not in FAULT_KINDS:
        raise ValueError("unknown fault {!r}; known: {}".format(kind, ", ".join(FAULT_KINDS)))
    seconds = parse_number("fault time", at, minimum=0.0)
    return kind, seconds


def parse_number(name, text, minimum=None, maximum=None, above=None):
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number (got {text!r})") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be a finite number (got {text!r})")
    if above is not None and not value > above:
        raise ValueError(f"{name} must be above {above} (got {text!r})")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum} (got {text!r})")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum} (got {text!r})")
    return value


def parse_speed(text):
    return parse_number("speed", text, above=0.0, maximum=MAX_SPEED)


def parse_ambient(text):
    return parse_number("ambient", text, minimum=-40.0, maximum=60.0)


def scenario_steps(path):
    """A scenario file's steps as `(at_s, kind, value, extra)` (extra: a press's hold_s, an
    inject's or repair's keyword arguments); ValueError naming the
    file and the field when the file is bad (hal_sim.scenario validates it)."""
    from hal_sim.scenario import ScenarioError, load_scenario
    try:
        sc = load_scenario(path)
    except ScenarioError as exc:
        raise ValueError(f"scenario {path}: {exc}") from None
    return [(st["at_s"], st["kind"], st["value"],
             st["hold_s"] if st["kind"] == "press" else st.get("args", {}))
            for st in sc["steps"]]


def parse_pad(text):
    """A corner of the plant envelope by name (hal_sim/envelope.py), e.g. "hot_corner"."""
    from hal_sim import envelope
    envelope.corner(str(text))  # ValueError naming the known corners
    return str(text)


def parse_param(text):
    """`"loss_scale:0.4"` -> `("loss_scale", 0.4)`: an envelope parameter and a value inside
    its range; a per-sensor one takes `A,B` (or one value for both), back_present true/false."""
    from hal_sim import envelope
    name, sep, value = str(text).partition(":")
    name = name.strip()
    if not sep or name not in envelope.RANGES:
        raise ValueError("param must be NAME:VALUE with NAME one of {} (got {!r})".format(
            ", ".join(envelope.RANGES), text))
    lo, hi = envelope.RANGES[name]
    if name == "back_present":
        v = value.strip().lower()
        if v not in ("true", "false", "1", "0"):
            raise ValueError(f"back_present must be true or false (got {value!r})")
        return name, v in ("true", "1")
    words = value.split(",")
    if name in envelope.PER_SENSOR:
        if len(words) not in (1, 2):
            raise ValueError(f"{name} takes one value or two (A,B) (got {value!r})")
        nums = [parse_number(name, w, minimum=lo, maximum=hi) for w in words]
        return name, nums * 2 if len(nums) == 1 else nums
    if len(words) != 1:
        raise ValueError(f"{name} takes one value (got {value!r})")
    return name, parse_number(name, value, minimum=lo, maximum=hi)


def add_pad_arguments(parser, typed):
    """`cushion sim --pad CORNER --param NAME:VALUE ...`; `typed(parse)` makes an argparse
    type of a parse function (the CLI's, so that a bad value is a usage error)."""
    parser.add_argument("--pad", type=typed(parse_pad), metavar="CORNER",
                        help="a corner of the plant envelope, e.g. hot_corner (default nominal)")
    parser.add_argument("--param", type=typed(parse_param), action="append", default=[],
                        metavar="NAME:VALUE", help="an envelope parameter of the pad, e.g. "
                                                   "loss_scale:0.4 (repeatable)")


def pad_conditions(pad=None, params=(), ambient_c=None):
    """The envelope Conditions for a corner (default the nominal pad) with `params`
    ((name, value) pairs) applied; an explicit ambient_c wins over the corner's."""
    from hal_sim import envelope
    cond = envelope.corner(pad or "nominal")
    changes = dict(params)
    if ambient_c is not None:
        changes["ambient_c"] = ambient_c
    return envelope.with_params(cond, **changes) if changes else cond


class PacedSimulation:
    """One Simulation, stepped to keep up with `speed` x the wall clock.

    `session` is request lines sent once at power-up (`heat high`, `massage wave`), so that
    the cushion is already running when the first client talks to it; `steps` are
    `(at_s, kind, value, extra)` applied at their simulated second (kind: send, press,
    inject, repair, power_cycle), and `faults` `(kind, at_s)` pairs, the same as inject steps.

    Not thread-safe by itself: the sim:// port guards it with a lock, the server is
    single-threaded.
    """

    def __init__(self, speed=1.0, ambient_c=22.0, faults=(), seed=1, session=(), steps=(),
                 clock=time.monotonic, pad=None, params=()):
        from hal_sim import Simulation  # imported late: only sim users need the simulator
        # bridge=True: the Simulation passes the firmware's raw serial bytes to serial_out()
        # (without it, it only parses them into sim.events / sim.replies).
        if pad is None and not params:
            self.sim = Simulation(ambient_c=22.0 if ambient_c is None else ambient_c,
                                  start_ticks_ms=0, seed=seed, record=False, bridge=True)
        else:  # a pad of the envelope; ambient_c None: the pad's own
            cond = pad_conditions(pad, params, ambient_c)
            self.sim = Simulation(params=cond.pad, ambient_c=cond.ambient_c,
                                  supply_v=cond.supply_v, start_ticks_ms=0, seed=seed,
                                  record=False, bridge=True)
        self.speed = float(speed)
        self.clock = clock
        self.tick_s = self.sim.tick_ms / 1000.0
        schedule = [(at, "inject", kind, {}) for kind, at in faults] + list(steps)
        self.pending = sorted(schedule, key=lambda s: s[0])      # stable: file order kept
        self.injected = []
        self.applied = []
        for line in session:
            reply = self.sim.command(line)
            if not reply.get("ok"):
                raise ValueError(f"the simulated cushion refused {line!r}: "
                                 f"{reply.get('error')}: {reply.get('detail')}")
        self._t0 = clock()
        self._ms0 = self.sim.now_ms
        self._repl_echo = b""

    def _sim_s(self):
        return (self.sim.now_ms - self._ms0) / 1000.0

    def due_ticks(self):
        """Ticks the simulation is behind the (accelerated) wall clock."""
        wall = (self.clock() - self._t0) * self.speed
        return max(0, int(wall / self.tick_s) - round(self._sim_s() / self.tick_s))

    def seconds_to_next_tick(self):
        """Wall seconds until the next tick is due (0 when already behind)."""
        return max(0.0, (self._sim_s() + self.tick_s) / self.speed - (self.clock() - self._t0))

    def wall_s(self):
        """Wall seconds since the simulated cushion started."""
        return self.clock() - self._t0

    def achieved_speed(self):
        """Simulated seconds per wall second so far (below `speed` when the host is slow)."""
        wall = self.wall_s()
        return self._sim_s() / wall if wall > 0 else self.speed

    def feed(self, data):
        """Bytes arriving on the firmware's serial input."""
        if not data:
            return
        if self.sim.in_service:
            # The board handed its port to the REPL (`service`), which the simulator does not
            # model: answer each line with a prompt so that a client can tell what happened.
            self._repl_echo += b"\r\n>>> " * data.count(b"\n")
            return
        self.sim.serial_in(bytes(data))

    def advance(self, max_ticks=MAX_BURST_TICKS):
        """Step the ticks that are due (at most `max_ticks`); return what the firmware wrote."""
        n = min(self.due_ticks(), max_ticks)
        out = bytearray(self._repl_echo)
        self._repl_echo = b""
        for _ in range(n):
            self._apply_due_steps()
            self.sim.step()
            out += self.sim.serial_out()
        self._trim_logs()
        return bytes(out)

    def _trim_logs(self):
        """The Simulation keeps every event and reply it parsed; a server that runs for hours
        with telemetry on would grow without bound, so keep only the recent ones."""
        for log in (self.sim.events, self.sim.replies, self.sim.bad_lines):
            if len(log) > 2 * KEEP_LOG:
                del log[:-KEEP_LOG]

    def _apply_due_steps(self):
        sim = self.sim
        while self.pending and self._sim_s() >= self.pending[0][0]:
            at, kind, value, extra = self.pending.pop(0)
            if kind == "send":
                sim.serial_in(value.encode("utf-8").rstrip(b"\r\n") + b"\n")
            elif kind == "press":
                sim.press(value, hold_s=extra)
            elif kind == "inject":
                sim.inject(value, **extra)
                self.injected.append((value, at))
            elif kind == "repair":
                sim.repair(value, **extra)
            else:                            # power_cycle
                sim.power_cycle()
            self.applied.append((at, kind, value))
