"""Test support: a harness that drives one service through HTTP and events, and fixtures."""
