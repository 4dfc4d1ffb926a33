"""Notify: every e-mail the programme sends."""
