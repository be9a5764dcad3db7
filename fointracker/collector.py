"""Python's cycle collector held off during work that makes many objects and few reference
cycles, where the collector traversing them again and again was a large part of the time
(any cycles made meanwhile are collected once it runs again). Each use names the benchmark
that showed it."""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager

_pauses = 0
_collector_was_on = True
_pause_lock = threading.Lock()


@contextmanager
def collector_paused():
    """The collector off for the block; it runs as usual once the last concurrent pause ends
    (however it ends), and stays off if it was off before."""
    global _pauses, _collector_was_on
    with _pause_lock:
        if _pauses == 0:
            _collector_was_on = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _collector_was_on:
                gc.enable()
