"""Commands of this area (being written)."""

commands: list = []
