"""A dictionary whose entries are forgotten a set number of seconds after they
were made: what the web processes keep of their busiest reads (see
portal.page_cache, portal.play.payload_cache and portal.api.auth). Each process
keeps its own; nothing is shared, so nothing can be stale for longer than
``seconds`` after it was read from the database."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any


class ShortLivedCache:
    """Values kept ``seconds`` after they were made; nothing kept when 0.

    At most ``max_entries`` are kept (keys can come from requests, so memory must
    not grow with what clients send): a full cache first drops what has expired,
    then its oldest entries. An entry's expiry is set when it is made and never
    extended. ``forget`` advances a generation, and a value read before a
    ``forget`` is not stored after it (it may be what was forgotten)."""

    def __init__(
        self, seconds: float, clock: Callable[[], float] = time.monotonic, max_entries: int = 4096
    ) -> None:
        self.seconds, self.clock, self.max_entries = seconds, clock, max_entries
        self.generation = 0
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> Any | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= self.clock():
            return None
        return entry[1]

    def put(self, key: Hashable, value: Any, *, generation: int | None = None) -> None:
        """Keep ``value``, unless ``forget`` ran since ``generation`` was read."""
        if self.seconds <= 0:
            return
        with self._lock:
            if generation is not None and generation != self.generation:
                return
            now = self.clock()
            if key not in self._entries and len(self._entries) >= self.max_entries:
                for old in [k for k, (expires, _) in self._entries.items() if expires <= now]:
                    del self._entries[old]
                while len(self._entries) >= self.max_entries:
                    del self._entries[next(iter(self._entries))]
            self._entries.pop(key, None)  # re-inserted last: the dict's order is age
            self._entries[key] = (now + self.seconds, value)

    def replace(self, key: Hashable, value: Any) -> None:
        """A new value for an entry still kept, which keeps its expiry."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries[key] = (entry[0], value)

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> Any:
        value = self.get(key)
        if value is None:
            generation = self.generation
            value = make()
            self.put(key, value, generation=generation)
        return value

    def forget(self, match: Callable[[Hashable], bool]) -> None:
        with self._lock:
            self.generation += 1
            for key in [key for key in self._entries if match(key)]:
                del self._entries[key]
