"""Attendance rules as plain Python: schedule, make-up, standings, check-in codes.

Nothing here imports Flask, SQLAlchemy or kombu, so every rule can be tested with the
real calendar and no infrastructure.
"""
