"""ESF reporting rules: participant data, indicator sets, indicators, retention.

Pure Python: no Flask, SQLAlchemy or kombu here, so the rules can be tested and reused alone.
"""
