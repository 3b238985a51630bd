"""The discrete-event network around the protocol core: virtual clock, links, hosts and applications."""
