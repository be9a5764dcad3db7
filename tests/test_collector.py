"""fointracker.collector: the cycle collector held off for a block and given back however it ends."""

import gc
import threading

import pytest

from fointracker.collector import collector_paused


def test_the_collector_is_off_inside_and_on_again_after_even_on_an_error():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_it_stays_off_if_it_was_off_before():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_in_threads_end_with_the_last_one():
    first_inside, first_may_end = threading.Event(), threading.Event()

    def first():
        with collector_paused():
            first_inside.set()
            first_may_end.wait(5)

    thread = threading.Thread(target=first)
    thread.start()
    first_inside.wait(5)
    with collector_paused():  # begins inside the first and ends before it
        pass
    assert not gc.isenabled()  # the first pause is still going
    first_may_end.set()
    thread.join(5)
    assert gc.isenabled()


def test_the_report_gives_the_collector_back(session):
    from fointracker.models import Campaign
    from fointracker.services.report import build_report
    from fointracker.services.report_exports import json_chunks

    campaign = Campaign(title="Empty", default_regime="foia")
    session.add(campaign)
    session.flush()
    "".join(json_chunks(build_report(session, campaign)))
    assert gc.isenabled()
