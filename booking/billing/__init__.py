"""Charges per booking, monthly statements and enterprises' stand-alone baselines."""
