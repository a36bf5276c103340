"""The one error of the wire format and the device side."""


class ConfigError(ValueError):
    "A bad setting (broker URI, gateway config, CAN bus), reported as one line"
