"""Notify's pure rules: what an e-mail says and when a reminder is due."""
