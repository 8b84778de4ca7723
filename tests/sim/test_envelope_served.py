"""Any pad of the envelope, served: `sim://?pad=...&param=...` and `cushion sim --pad ...
--param ...` (host/simclock.py, host/protocol_sim.py, host/cli.py)."""

import pytest
import serial

import host  # noqa: F401  (registers sim://)
import host.cli as cli
from host.errors import EXIT_USAGE
from host.protocol_sim import SimURLError, parse_sim_url
from host.simclock import PacedSimulation, parse_param


def test_sim_url_takes_a_corner_and_repeatable_parameters():
    opts = parse_sim_url("sim://?pad=hot_corner&param=loss_scale:0.4"
                         "&param=sensor_tau_s:12,14&param=back_present:false")
    assert opts["pad"] == "hot_corner" and opts["ambient_c"] is None  # the corner's room
    assert opts["params"] == [("loss_scale", 0.4), ("sensor_tau_s", [12.0, 14.0]),
                              ("back_present", False)]
    sim = PacedSimulation(**opts).sim
    p = sim.cushion.params
    assert (sim.cushion.ambient_c, sim.cushion.supply_v) == (40.0, 13.2)
    assert (p.power_scale, p.loss_scale, p.sensor_tau_s, p.back_present) == (
        1.2, 0.4, [12.0, 14.0], False)
    # an explicit ambient wins over the corner's; no pad: the nominal pad
    sim = PacedSimulation(**parse_sim_url("sim://?pad=hot_corner&ambient=30")).sim
    assert sim.cushion.ambient_c == 30.0
    sim = PacedSimulation(**parse_sim_url("sim://?param=hotspot_c:2")).sim
    assert sim.cushion.params.hotspot_c == [2.0, 2.0] and sim.cushion.ambient_c == 22.0
    assert "pad" not in parse_sim_url("sim://")  # the old URLs build what they did


@pytest.mark.parametrize("query,words", [
    ("pad=lukewarm", "unknown corner 'lukewarm'; known: nominal, hot_corner"),
    ("param=loss_scale:9", "loss_scale must be at most 1.5"),
    ("param=loss_scale", "param must be NAME:VALUE"),
    ("param=r_element_ohm:7", "param must be NAME:VALUE with NAME one of power_scale"),
    ("param=sensor_tau_s:5,6,7", "sensor_tau_s takes one value or two"),
    ("param=back_present:maybe", "back_present must be true or false"),
])
def test_bad_pad_in_a_sim_url_says_what_is_wrong(query, words):
    with pytest.raises(SimURLError) as info:
        parse_sim_url("sim://?" + query)
    assert words in str(info.value)


def test_a_served_corner_answers_like_any_port():
    port = serial.serial_for_url("sim://?speed=1000&pad=cold_weak_corner&param=mass_scale:0.9",
                                 timeout=2)
    try:
        port.write(b"#1 status\n")
        lines = [port.readline() for _ in range(2)]  # the boot event, then the reply
        assert any(b'"ok": true' in line and b'"id": 1' in line for line in lines), lines
    finally:
        port.close()


@pytest.mark.parametrize("argv,words", [
    (["--pad", "lukewarm"], "unknown corner 'lukewarm'"),
    (["--param", "loss_scale:0.1"], "loss_scale must be at least 0.4"),
])
def test_cushion_sim_refuses_a_bad_pad_as_usage(capsys, argv, words):
    with pytest.raises(SystemExit) as info:
        cli.main(["sim", *argv])
    err = capsys.readouterr().err
    assert info.value.code == EXIT_USAGE and "Traceback" not in err
    assert words in err


def test_cushion_sim_passes_pad_and_params_to_the_server(monkeypatch):
    seen = {}
    import host.simserver
    monkeypatch.setattr(host.simserver, "serve", lambda **kw: seen.update(kw) or 0)
    assert cli.main(["sim", "--pad", "blanket_corner", "--param", "hotspot_c:1,2",
                     "--param", "supply_v:11"]) == 0
    assert seen["pad"] == "blanket_corner" and seen["ambient_c"] is None
    assert seen["params"] == [("hotspot_c", [1.0, 2.0]), ("supply_v", 11.0)]


def test_every_range_is_a_parameter():
    assert parse_param("ambient_c:0") == ("ambient_c", 0.0)
    assert parse_param("supply_v:13.2") == ("supply_v", 13.2)
