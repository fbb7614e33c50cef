"""Generated from the registry: Prometheus rules, Alertmanager routes, Grafana dashboards.

Every artefact is a pure function of the registry (and of options), written to files
by `dashboards.files`, pushed to a Grafana by `dashboards.push`.
"""
