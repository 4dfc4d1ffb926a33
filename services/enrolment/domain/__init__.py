"""Enrolment rules as plain Python: the edition, applications, team composition, placement.

Nothing here imports Flask, SQLAlchemy or kombu, so every rule can be tested without
infrastructure and reused by the form, the JSON API and the coordinator's actions alike.
"""
