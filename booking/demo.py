"""Demo data (placeholder until the demo module is written)."""


def load() -> dict:
    return {}
