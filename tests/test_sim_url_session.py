"""Issue 13 item 5: a sim:// URL starts a session (heat, massage, a scenario's steps), so a
single `cushion watch` shows the cushion heating and the fault; the README example is run."""

import json
import re
from pathlib import Path

import serial

import host  # noqa: F401  (registers sim://)
import host.cli as cli
from host.client import CushionClient
from host.protocol_sim import parse_sim_url
from host.simclock import PacedSimulation

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_session_and_a_scheduled_fault_on_one_simulation():
    clock = FakeClock()
    paced = PacedSimulation(speed=20, session=["heat high", "massage wave"],
                            faults=[("sensor_detached", 120.0)], clock=clock)
    for _ in range(30 * 20):                        # 30 wall seconds at speed 20
        clock.now += 0.05
        paced.advance(max_ticks=1000)
    sim = paced.sim
    codes = [e.get("code") for e in sim.events if e["event"] == "fault"]
    assert codes == ["sensor_mismatch"], codes
    assert 590 <= sim.now_s <= 601
    assert paced.injected == [("sensor_detached", 120.0)]
    assert paced.achieved_speed() == sim.now_s / 30.0 or abs(paced.achieved_speed() - 20) < 1


def test_a_scenario_files_steps_are_applied_at_their_seconds(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('name = "steps"\nambient_c = 22.0\nduration_s = 60\n'
                    'steps = [ { at_s = 0, send = "heat low" }, { at_s = 10, press = "massage" },'
                    ' { at_s = 20, inject = "supply_low" }, { at_s = 30, repair = "supply_low" }'
                    ' ]\nexpect = [ { max_pad_c = 50.0 } ]\n')
    opts = parse_sim_url(f"sim://?speed=10&scenario={path}")
    clock = FakeClock()
    paced = PacedSimulation(clock=clock, **opts)
    for _ in range(40):
        clock.now += 0.1
        paced.advance(max_ticks=1000)
    kinds = [(at, kind) for at, kind, _ in paced.applied]
    assert kinds == [(0, "send"), (10, "press"), (20, "inject"), (30, "repair")]
    st = paced.sim.state()
    assert (st["heat"], st["massage"], st["state"]) == ("low", "continuous", "active")


def test_the_url_keeps_one_simulation_for_the_life_of_the_port():
    ser = serial.serial_for_url("sim://?speed=100&heat=high", do_not_open=True)
    ser.open()
    try:
        client = CushionClient(ser, "sim://", timeout=2.0)
        client.handshake()
        first = client.request("status")
        assert (first["state"], first["heat"]) == ("active", "high")
        sim = ser.simulation
        for _ in range(5):
            assert client.request("status")["heat"] == "high"
        assert ser.simulation is sim and sim.now_s > 0
    finally:
        ser.close()


def test_the_readme_sim_example_shows_heating_and_the_fault(capsys):
    m = re.search(r"\$ cushion --port '(sim://[^']+)' watch --seconds (\d+)", README)
    assert m, "the README's sim:// example"
    url, seconds = m.group(1), float(m.group(2))
    # the same URL at 10x its speed for a tenth of the time: the same simulated minutes
    speed = float(re.search(r"speed=(\d+)", url).group(1))
    fast = url.replace(f"speed={speed:g}", f"speed={speed * 10:g}")
    code = cli.main(["--port", fast, "--json", "watch", "--seconds", str(seconds / 10),
                     "--period", "1000"])
    out = capsys.readouterr().out
    assert code == 0
    lines = [json.loads(ln) for ln in out.splitlines()]
    tele = [e for e in lines if e["event"] == "telemetry"]
    assert any(e["heater_pct"] > 0 and e["heat"] == "high" for e in tele)
    assert max(e["temp_c"] for e in tele) > 30                       # it heated
    assert [e["code"] for e in lines if e["event"] == "fault"] == ["sensor_mismatch"]
