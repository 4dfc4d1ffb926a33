"""Printable documents the attendance service produces (sign-in sheets)."""
