"""Pooled quotas: how much of a facility (or a kind of facility) an enterprise may hold per period."""
