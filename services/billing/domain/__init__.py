"""Billing rules and calculations: pure Python, no Flask, SQLAlchemy or kombu."""
