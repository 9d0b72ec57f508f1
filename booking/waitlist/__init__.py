"""Waiting lists: members who want a taken slot are told, in order, when it frees up."""
