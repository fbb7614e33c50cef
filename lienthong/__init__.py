"""The composition root: the command line and its settings, wiring the packages together."""
