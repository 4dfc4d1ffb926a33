"""The front door: staff sign-in, the landing page, and embedded mode's path dispatcher."""
