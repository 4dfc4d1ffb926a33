"""Attendance: session days, attendance sheets, make-up sessions, dropouts and completion."""
