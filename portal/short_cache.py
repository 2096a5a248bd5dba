"""A dictionary whose entries are forgotten a set number of seconds after they
were made: what the web processes keep of their busiest reads (see
portal.page_cache and portal.play.payload_cache). Each process keeps its own;
nothing is shared, so nothing can be stale for longer than ``seconds``."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any


class ShortLivedCache:
    """Values kept ``seconds`` after they were made; nothing kept when 0."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self.clock = seconds, clock
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= self.clock():
            return None
        return entry[1]

    def put(self, key: Hashable, value: Any) -> None:
        if self.seconds > 0:
            with self._lock:
                self._entries[key] = (self.clock() + self.seconds, value)

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> Any:
        value = self.get(key)
        if value is None:
            value = make()
            self.put(key, value)
        return value

    def forget(self, match: Callable[[Hashable], bool]) -> None:
        with self._lock:
            for key in [key for key in self._entries if match(key)]:
                del self._entries[key]
