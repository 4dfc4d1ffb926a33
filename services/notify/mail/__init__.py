"""Turning rendered e-mails into safe MIME messages and delivering them."""
