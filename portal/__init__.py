"""The portal web application: everything with state or a web face."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from portal._version import __version__

if TYPE_CHECKING:
    from portal.app import create_app

__all__ = ["__version__", "create_app"]


def __getattr__(name: str) -> Any:
    # The factory imports every feature; a tool that needs one module of the
    # package (python -m portal.settings, a worker's task module) does not pay for it.
    if name == "create_app":
        from portal.app import create_app

        return create_app
    raise AttributeError(f"module 'portal' has no attribute {name!r}")
