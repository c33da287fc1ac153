"""The runtime every integration builds on: the hub, its bus, states, services and clock."""
