"""SIGTERM inside a run: an interrupt like Ctrl-C, held while a tracking call is in progress."""

from __future__ import annotations

import os
import signal

import pytest

from warmreg.errors import Terminated
from warmreg.run import signals


def test_sigterm_raises_terminated_then_the_old_handler_is_back():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated) as excinfo:
        with signals.terminate_as_interrupt():
            os.kill(os.getpid(), signal.SIGTERM)
            signal.pause()  # never reached: the handler raises first
    assert isinstance(excinfo.value, KeyboardInterrupt)
    assert signals.end_status(excinfo.value) == "KILLED"
    assert signals.end_status(RuntimeError()) == "FAILED"
    assert signal.getsignal(signal.SIGTERM) is before


def test_an_interrupt_waits_for_the_tracking_call_in_progress():
    done = []
    with pytest.raises(Terminated):
        with signals.terminate_as_interrupt():
            with signals.uninterrupted():
                os.kill(os.getpid(), signal.SIGTERM)
                done.append("the call finished")
            done.append("never: the held interrupt is raised as the call returns")
    assert done == ["the call finished"]


def test_a_second_ctrl_c_does_not_wait():
    with pytest.raises(KeyboardInterrupt) as excinfo:
        with signals.terminate_as_interrupt():
            with signals.uninterrupted():
                os.kill(os.getpid(), signal.SIGINT)  # held
                os.kill(os.getpid(), signal.SIGINT)  # the user insists: raised at once
                pytest.fail("a second Ctrl-C was held too")
    assert not isinstance(excinfo.value, Terminated)
    assert signals._pending is None  # nothing left to raise later
