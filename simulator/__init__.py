"""A stand-in for the national systems behind an LGSP gateway, with injectable faults.

A separate app that shares no state with the prober: tests and the demo talk
to it over loopback exactly as to a real gateway.
"""
