"""The portal web application: everything with state or a web face."""

from portal._version import __version__
from portal.app import create_app

__all__ = ["__version__", "create_app"]
