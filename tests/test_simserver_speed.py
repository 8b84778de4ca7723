"""`cushion sim --speed X` beyond what this computer can simulate (issue 13, defect 12): the
served sim warns, like sim:// does, and reports the speed it achieved when it stops."""

import re
import signal
import time

from host.simserver import SPEED_CHECK_S
from tests.simserved import ROOT, cushion, served


def serve_for(speed, seconds):
    with served("--listen", "127.0.0.1:0", "--speed", str(speed)) as (proc, urls, _ctl):
        assert cushion("--timeout", "5", "status", port=urls[0]).returncode == 0
        time.sleep(seconds)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    return proc.returncode, err


def achieved(err, asked):
    m = re.search(r"^cushion sim: the simulator ran at (\d+)x real time \(asked for "
                  + re.escape(asked) + r"x\)$", err, re.M)
    assert m, err
    return int(m[1])


def test_an_impossible_speed_warns_and_reports_what_it_achieved():
    code, err = serve_for(5000, SPEED_CHECK_S + 1.0)
    assert code == 0, err
    warning = [ln for ln in err.splitlines() if "warning" in ln]
    assert len(warning) == 1, err                                    # once, not every tick
    assert warning[0].startswith("cushion sim: warning: speed 5000 is more than this "
                                 "computer can run the simulator at: it achieved about ")
    assert 0 < achieved(err, "5000") < 0.9 * 5000
    # README, "Sharing a served sim": the same warning, with this computer's figure
    readme = " ".join((ROOT / "README.md").read_text().split())
    shown = re.sub(r"about \d+x", "about NNNx", " ".join(warning[0].split()))
    assert re.sub(r"about \d+x", "about NNNx", shown) in re.sub(r"about \d+x", "about NNNx",
                                                                 readme.replace("`", ""))


def test_a_speed_it_keeps_up_gets_no_warning():
    code, err = serve_for(2, SPEED_CHECK_S + 1.0)
    assert code == 0 and "warning" not in err, err
    assert achieved(err, "2") == 2
