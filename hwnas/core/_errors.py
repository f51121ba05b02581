"""Typed errors. Every message says what went wrong and how to fix it, on one line."""

from __future__ import annotations


class HwnasError(Exception):
    """Base class of every error hwnas raises on purpose."""


class InvalidArchitectureError(HwnasError, ValueError):
    """An architecture string does not follow its space's grammar."""


class UnknownPluginError(HwnasError, KeyError):
    """A plugin name is not registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DuplicatePluginError(HwnasError):
    """A plugin name is registered twice."""


class DataError(HwnasError):
    """A table or data file is missing, corrupt or holds impossible values."""


class MissingValueError(DataError, KeyError):
    """A table has no (valid) value for an architecture and metric."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class DeviceError(HwnasError):
    """A device is unknown, unreachable or failed a measurement."""


class ConfigError(HwnasError):
    """A configuration value is missing or malformed."""


class RunStoreError(HwnasError):
    """The run store is missing, locked or inconsistent."""


class MissingDependencyError(HwnasError, ImportError):
    """An optional dependency (an extra) is not installed."""

    def __init__(self, package: str, extra: str, purpose: str = "") -> None:
        what = f" for {purpose}" if purpose else ""
        super().__init__(
            f"{package} is needed{what} but is not installed: "
            f"run `pip install 'hwnas[{extra}]'`"
        )
        self.package = package
        self.extra = extra
