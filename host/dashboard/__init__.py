"""`cushion dashboard`: a live web page for the cushion, served on loopback (see server.py)."""
