"""ESF reporting: esf participant data, common indicators and funder exports."""
