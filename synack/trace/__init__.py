"""Views of one run: the JSON trace, the ladder, tcpdump-style lines and the terminal player."""
