"""ParkHub: a self-hosted, asyncio parking-lot hub shaped like Home Assistant."""

__version__ = "0.1.0"
