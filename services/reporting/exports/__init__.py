"""Funder exports (CSV and XLSX). Every text cell goes through ``_cells.clean_text``."""
from .indicators import indicators_csv, indicators_xlsx
from .participants import participants_csv, participants_xlsx

__all__ = ["indicators_csv", "indicators_xlsx", "participants_csv", "participants_xlsx"]
