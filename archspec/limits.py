"""Limits that keep archspec responsive on hostile input.  Each error that
enforces one names it."""

MAX_LAYERS = 1_000_000  # expansion: no network anyone runs is larger
MAX_CALL_DEPTH = 100  # nested block calls
MAX_INT = 10**9  # a larger number in a layer's arguments is never a real network
