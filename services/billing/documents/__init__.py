"""Printable documents (invoices, credit notes) rendered from plain dataclasses."""
