"""Billing: dropout cost claims, invoices, payments and credit notes."""
