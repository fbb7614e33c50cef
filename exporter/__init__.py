"""What lienthong shows the outside: Prometheus metrics, the HTTP app, and the
compliance arithmetic with the report writers."""
