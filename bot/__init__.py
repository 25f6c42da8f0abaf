"""The WIM Alliance Discord bot."""

__version__ = "0.1.0"
