"""`cushion run FILE... --port URL`: each scenario's steps and expectations on a live port.

 - `--port simctl://HOST:PORT` (a served sim's control channel, printed by `cushion sim`):
   every step, through the serial line (`send`) and the control channel (`press`, `inject`,
   `repair`, `power_cycle`); times are the served sim's own simulated seconds, and the
   physical truth (pad temperature, delivered heater power) comes from its control channel.
 - any other port (a board): `send` steps only, on the wall clock.  Steps a board cannot do,
   and expectations it cannot judge (no physical truth), are refused before the run starts,
   each named.

Loading, validation and judging are the scenario runner's own (hal_sim.scenario); this module
only records a run in the shape the judge reads: `events` with `sim_s`, and `trace` rows.
The scenario's ambient, supply and seed belong to the simulator it describes: a served sim
keeps its own, a board has the room it is in.
"""

import sys
import time

from . import errors

BOARD_CANNOT = ("press", "inject", "repair", "power_cycle")
NEEDS_TRUTH = ("max_pad_c", "min_pad_c", "heater_off_after_s")
TELEMETRY_MS = 100


def _scenario():
    import hal_sim.scenario as scenario
    return scenario




def refusals(sc, served):
    """What a target cannot do, named; empty when the scenario can run there."""
    if served:
        return []
    out = ["steps[%d] %s" % (st["index"], st["kind"]) for st in sc["steps"]
           if st["kind"] in BOARD_CANNOT]
    out += ["expect[%d] %s" % (ex["index"], ex["kind"]) for ex in sc["expect"]
            if ex["kind"] in NEEDS_TRUTH]
    return out


class Record:
    """A run on a port, in the shape hal_sim.scenario's judge reads from a Simulation."""

    tick_ms = TELEMETRY_MS

    def __init__(self):
        self.events = []
        self.trace = []
        self.now_s = 0.0
        self.truth = {}

    def telemetry(self, msg):
        from cushion.names import HEAT_STATE_NAMES, LEVEL_NAMES, MODE_NAMES
        fault = msg.get("fault") or ""
        self.trace.append({
            "t_ms": int(round(self.now_s * 1000)), "fault": fault,
            "session": 1 if msg.get("state") == "active" else 0,
            "heat_state": _index(HEAT_STATE_NAMES, msg.get("heat_state")),
            "heat": _index(LEVEL_NAMES, msg.get("heat")),
            "massage": _index(MODE_NAMES, msg.get("massage")),
            "pad_c": self.truth.get("pad_c", float("nan")),
            "heater_duty": self.truth.get("heater_duty", msg.get("heater_pct", 0) / 100.0),
        })

    def initial(self):
        if self.trace:
            return dict(self.trace[0])
        return {"t_ms": 0, "fault": "", "session": 0, "heat_state": 0, "heat": 0, "massage": 0}


def _index(names, name):
    return names.index(name) if name in names else -1


class Target:
    """The clock and the hands of a run: a served sim (with control) or a board."""

    def __init__(self, client, control=None):
        self.client = client
        self.control = control
        self._t0 = None

    def now(self, record):
        if self.control is None:
            t = time.monotonic()
        else:
            record.truth = self.control.request("truth")
            t = record.truth["sim_s"]
        if self._t0 is None:
            self._t0 = t
        return t - self._t0

    def do(self, st):
        kind, v = st["kind"], st["value"]
        if kind == "send":
            self.client._write(v.encode("utf-8").rstrip(b"\r\n") + b"\n", v)
            return
        line = {"press": f"press {v} hold_s={st.get('hold_s', 0.1):g}",
                "inject": f"inject {v}", "repair": f"repair {v}",
                "power_cycle": "power-cycle"}[kind]
        reply = self.control.request(line)
        if not reply.get("ok"):
            raise errors.DeviceRefused(line, reply)


def record_run(sc, target, out, verbose=False):
    rec = Record()
    steps = sorted(sc["steps"], key=lambda st: st["at_s"])
    target.client.request(f"telemetry on {TELEMETRY_MS}")
    try:
        while True:
            rec.now_s = target.now(rec)
            while steps and steps[0]["at_s"] <= rec.now_s:
                st = steps.pop(0)
                target.do(st)
                out.write("  steps[%d] %g s (at %.2f s): %s %s\n" % (
                    st["index"], st["at_s"], rec.now_s, st["kind"], st["value"]))
            if rec.now_s >= sc["duration_s"]:
                break
            msg = target.client.next_event(0.02)
            while msg is not None:
                if msg.get("event") == "telemetry":
                    rec.telemetry(msg)
                else:
                    rec.events.append({**msg, "sim_s": rec.now_s})
                    if verbose:
                        out.write("%8.2f s  event %s\n" % (rec.now_s, " ".join(
                            f"{k}={v}" for k, v in sorted(msg.items()) if k != "event")))
                msg = target.client.next_event(0)
    finally:
        try:
            target.client.request("telemetry off")
        except errors.CliError:
            pass
    return rec


def check_for_port(path, port):
    """The scenario at `path`, if it is good and `port` can do all it asks; else the usage
    error naming the field, or every step and expectation a board cannot do."""
    from .runner import load_all
    from .simcontrol import SCHEME
    sc = load_all([path])[0]
    refused = refusals(sc, port.startswith(SCHEME + "://"))
    if refused:
        raise errors.UsageError(
            "{}: a board cannot do {}; run it on a served sim (--port simctl://... from "
            "`cushion sim`) or on the simulator (no --port)".format(path, ", ".join(refused)))
    return sc


def run_on_port(path, port, out, timeout=2.0, verbose=False):
    """Run scenario `path` on `port`, printing to `out`; return a summary (its JSON)."""
    from .client import CushionClient
    from .simcontrol import SCHEME, open_control
    scenario = _scenario()
    sc = check_for_port(path, port)
    served = port.startswith(SCHEME + "://")
    control = None
    if served:
        control = open_control(port, timeout=timeout)
        try:
            port = control.request("urls")["serial"][0]
        except (OSError, ValueError, KeyError, IndexError) as exc:
            control.close()
            raise errors.ConnectionFailed(f"cannot use the control channel {port}: {exc}")
    client = CushionClient.connect(port, timeout=timeout)
    try:
        out.write("scenario: %s (%s) on %s\n" % (sc["name"], path, port))
        rec = record_run(sc, Target(client, control), out, verbose)
    finally:
        client.close()
        if control is not None:
            control.close()
    judge = scenario.judge_expectation
    initial = rec.initial()
    outcomes = [judge(ex, rec, initial) for ex in sc["expect"]]
    for o in outcomes:
        out.write(o.line + "\n")
    failed = sum(not o.passed for o in outcomes)
    out.write("%s: %d of %d expectations passed (%g s on %s)\n" % (
        "FAIL" if failed else "PASS", len(outcomes) - failed, len(outcomes), rec.now_s, port))
    out.flush()
    code = errors.EXIT_REFUSED if failed else errors.EXIT_OK
    return {"ok": not failed, "scenario": sc["name"], "file": str(path), "port": port,
            "exit_code": code, "seconds": rec.now_s,
            "expectations": [{"index": o.index, "kind": o.kind, "passed": o.passed,
                              "text": o.text, "measured": o.measured} for o in outcomes]}


def cmd_run_port(args, files, out):
    """`cushion run FILE... --port URL`: each file in turn; --json gives one object."""
    if args.csv or args.plot or getattr(args, "chip", False):
        raise errors.UsageError("--csv, --plot and --chip are for a run on the simulator, "
                                "not with --port")
    for path in files:                   # every file checked before any runs
        check_for_port(path, args.port)
    stream = sys.stderr if out.as_json else out.stream
    results = [run_on_port(path, args.port, stream, timeout=args.timeout,
                           verbose=args.verbose) for path in files]
    code = max(r["exit_code"] for r in results)
    if out.as_json:
        out.obj(results[0] if len(results) == 1 else
                {"ok": code == errors.EXIT_OK, "exit_code": code, "scenarios": results}, None)
    return code
