"""packetdrill scripts run against synack's engine: parser, runner, the simulated stack, suites."""
