"""A chip run as hal_sim trace rows, for `cushion run --chip --csv/--plot` (the same writers
as on the HAL simulator: host/csvlog.py's write_trace, hal_sim.plot's plot_run).

hal_sim's rows read the firmware's state from its objects; the chip's firmware is seen only
from outside. Its outputs come from its pins (every emulated step), and its state and
readings from `status` replies that the adapter asks for every STATUS_EVERY_S. They are sent
without waiting, with ids of their own, so the scenario's steps keep their times. A row
carries the last status that came before it (the defaults of a board at rest before the
first one).
"""

from cushion.limits import TICK_MS
from cushion.names import HEAT_STATE_NAMES, LEVEL_NAMES, MODE_NAMES

STATUS_EVERY_S = 0.5
_FIRST_ID = 900000  # the adapter's own request ids (a scenario's are rarely this high)


class StatusPoller:
    """Asks `status` every STATUS_EVERY_S of emulated time; keeps each reply with its time."""

    def __init__(self, board):
        self.board = board
        self.views = []  # (emulated s, status reply), in order
        self.ids = set()
        self._next_id = _FIRST_ID
        self._due_s = board.now_s
        self._seen = len(board.replies)

    def stepped(self):
        b = self.board
        for reply in b.replies[self._seen:]:
            if reply.get("id") in self.ids:
                self.views.append((reply["sim_s"], reply))
        self._seen = len(b.replies)
        if b.now_s >= self._due_s:
            self._due_s += STATUS_EVERY_S
            self.ids.add(self._next_id)
            b.serial_in(b"#%d status\n" % self._next_id)
            self._next_id += 1

    def rebase(self, t0_s):
        self.views = [(t - t0_s, v) for t, v in self.views]


def _index(names, name):
    return names.index(name) if name in names else 0


def _c100(value):
    return 0 if value is None else int(round(value * 100))


def _firmware_fields(view):
    if view is None:
        return {"temp_c100": 0, "temp2_c100": 0, "setpoint_c100": 0, "heat_state": 0,
                "heat": 0, "massage": 0, "fault": "", "session": 0, "supply_paused": 0}
    if view.get("state") == "service":
        return dict(_firmware_fields(None), fault="service")
    return {"temp_c100": _c100(view.get("temp_c")), "temp2_c100": _c100(view.get("temp2_c")),
            "setpoint_c100": _c100(view.get("setpoint_c")),
            "heat_state": _index(HEAT_STATE_NAMES, view.get("heat_state")),
            "heat": _index(LEVEL_NAMES, view.get("heat")),
            "massage": _index(MODE_NAMES, view.get("massage")),
            "fault": view.get("fault") or "", "session": 1 if view.get("state") == "active" else 0,
            "supply_paused": 1 if view.get("supply_paused") else 0}


def trace_rows(trace, views):
    """hal_sim-shaped rows, one per firmware tick (TICK_MS), from the chip's step rows
    (physics and pins) and the status replies `views` ((s, reply), scenario time)."""
    rows, i, view = [], 0, None
    for step in trace:
        if step["t_ms"] % TICK_MS or "pad_c" not in step or "heater_permille" not in step:
            continue  # (a `state` look's row, or between ticks)
        while i < len(views) and views[i][0] * 1000 <= step["t_ms"]:
            view = views[i][1]
            i += 1
        row = dict(step)
        row.update(_firmware_fields(view))
        rows.append(row)
    return rows
