"""Which protection is meant to catch each injectable fault: the one table campaigns judge by.

A fault counts as detected only when the rule meant for it latched (issue 11): detection by
SR-2 `overheat` (a reading at 50 C) is a miss for every fault except a plain overheat, since
SR-2 is the last line, not the plan. Kinds the design handles without a latch are listed with
what must happen instead. The rule names of issue 11 (`heater_open`, `cutoff_stuck`,
`heater_degraded`, `adc_fault`, `clock_fault`) are listed before the firmware has them: until
it does, those faults show as misses in every report, which is the truth.

Judging is by physical truth only (hal_sim.campaign.session): the highest `pad_c`, the heater
power the element really got after the latch, and the first fault event's code.
"""

from cushion import names

PAD_LIMIT_C = 52.0  # the true pad must stay at or below this in every session (docs/safety.md)
LATCH_GRACE_S = 0.1  # SR-2/SR-3: both switches open within 100 ms of the latch

# What a fault kind must lead to when it is not a latch.
NO_LATCH = "no latch"          # handled without a fault: the heater pauses, lines are dropped
WATCHDOG = "watchdog reset"    # the loop stopped: the watchdog resets the board (SR-10)

# fault kind -> the latched rules (fault codes) that count as catching it, or NO_LATCH /
# WATCHDOG. One sensor failing is caught by the cross-check; both failing together is
# beyond the single-fault basis and is judged by the same row (a miss until issue 11's
# energy check lands).
EXPECTED = {
    "sensor_open": (names.SENSOR_OPEN,),
    "sensor_short": (names.SENSOR_SHORT,),
    "sensor_detached": (names.SENSOR_MISMATCH,),
    "sensor_drift": (names.SENSOR_MISMATCH,),
    "sensor_offset": (names.SENSOR_MISMATCH,),
    "heater_stuck_on": (names.HEATER_STUCK_ON,),
    "mosfet_leak": (names.HEATER_STUCK_ON,),            # SR-16: current with the MOSFET off
    # An open element: SR-4 while warming, SR-5 while holding, SR-16 (no current) later.
    "heater_open": (names.NO_HEAT_RISE, names.THERMAL_RUNAWAY, "heater_open"),
    "heater_degraded": ("heater_degraded",),            # SR-16: current outside its window
    "cutoff_stuck_closed": ("cutoff_stuck",),           # SR-16 / SR-17
    "cutoff_stuck_open": ("cutoff_stuck", "heater_open"),
    "adc_reference": ("adc_fault",),                    # SR-18
    "clock_freeze": ("clock_fault",),                   # SR-19
    "supply_high": (names.SUPPLY_HIGH,),
    "supply_low": NO_LATCH,                             # SR-9: the heater pauses, unlatched
    "motor_stall": (names.MOTOR_STALL,),                # SR-13: motor off, heat unaffected
    "loop_hang": WATCHDOG,
    "serial_noise": NO_LATCH,                           # SR-14: error replies, control goes on
    "serial_block": NO_LATCH,                           # SR-14: lines dropped, no reset
    "overheat": (names.OVERHEAT,),                      # the one kind SR-2 is meant for
}

# Faults that only show with the motor running: their sessions always draw a massage mode.
NEEDS_MASSAGE = ("motor_stall",)


def expected(kind):
    """The EXPECTED row for kind; a kind nobody has classified expects its own name."""
    return EXPECTED.get(kind, (kind,))


def describe(kind):
    exp = expected(kind)
    return exp if isinstance(exp, str) else " or ".join(exp)


def judge(kind, out):
    """Verdict of one session from its measured outcome `out` (session.run_session):
    ("ok" | "false_trip" | "missed" | "unsafe", [reasons]); kind is None for a fault-free
    session, whose only failures are a false trip or harm ("unsafe")."""
    reasons = []
    rule = out["rule"]
    if out["max_pad_c"] > PAD_LIMIT_C:
        reasons.append("pad reached %.2f C (limit %.0f C)" % (out["max_pad_c"], PAD_LIMIT_C))
    if out["heater_on_after_latch_s"] > 0:
        reasons.append("heater powered %.2f s after the latch" % out["heater_on_after_latch_s"])
    if out["tripped_before_fault"]:
        return "false_trip", ["%s latched before any fault" % out["tripped_before_fault"]] + \
            reasons
    exp = expected(kind) if kind is not None else NO_LATCH
    if exp == NO_LATCH:
        if rule is not None:
            what = "fault-free session" if kind is None else "%s (no latch by design)" % kind
            return "false_trip", ["%s latched %s" % (what, rule)] + reasons
    elif exp == WATCHDOG:
        if rule != WATCHDOG:
            reasons.insert(0, "no watchdog reset" if rule is None else "caught by %s" % rule)
    elif rule is None:
        reasons.insert(0, "not detected (watched %.0f s after the fault)" % out["watched_s"])
    elif rule not in exp:
        why = " (SR-2 is the last line, not the plan)" if rule == names.OVERHEAT else ""
        reasons.insert(0, "caught by %s, meant for %s%s" % (rule, describe(kind), why))
    if reasons:
        return ("missed" if kind is not None else "unsafe"), reasons
    return "ok", []


def is_unsafe(out):
    """The physical harm part of a verdict: a pad above the limit or heat after the latch."""
    return out["max_pad_c"] > PAD_LIMIT_C or out["heater_on_after_latch_s"] > 0
