"""Enrolment: editions, team applications, confirmations and coordinator decisions."""
