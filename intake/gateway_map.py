"""Which department and national system a gateway's names stand for, from the registry.

Departments declare `gateway: {wso2_applications, xroad_clients}` and
systems `gateway: {wso2_apis, xroad_services}`; the most specific entry wins
(an X-Road subsystem over its member, an API context over a shorter one).
"""

from __future__ import annotations

from registry import Registry


class GatewayMap:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._applications = {
            name: d.code for d in registry.departments for name in d.gateway.wso2_applications
        }
        self._api_names: dict[str, str] = {}
        self._api_contexts: dict[str, str] = {}
        for s in registry.systems:
            for api in s.gateway.wso2_apis:
                if api.startswith("/"):
                    self._api_contexts[api.rstrip("/") or "/"] = s.code
                else:
                    self._api_names[api] = s.code
        self._clients = {
            tuple(c.split("/")): d.code
            for d in registry.departments
            for c in d.gateway.xroad_clients
        }
        self._services = {
            tuple(c.split("/")): s.code for s in registry.systems for c in s.gateway.xroad_services
        }

    def is_obligation(self, department: str, system: str) -> bool:
        return bool(self.registry.obligations_for(department, system))

    # -- WSO2 API Manager ----------------------------------------------------------

    def wso2_department(self, application: str | None) -> str | None:
        return self._applications.get(application) if application else None

    def wso2_system(self, context: str | None, name: str | None) -> str | None:
        """The system of an API: by its context (longest declared prefix), else its name."""
        if context:
            path = context.rstrip("/")
            while path:
                found = self._api_contexts.get(path)
                if found is not None:
                    return found
                path = path.rpartition("/")[0]
        return self._api_names.get(name) if name else None

    # -- X-Road --------------------------------------------------------------------

    def xroad_department(self, client: tuple[str, ...]) -> str | None:
        """client = (instance, member class, member code, subsystem or '')."""
        return self._clients.get(client) or self._clients.get(client[:3])

    def xroad_system(self, service: tuple[str, ...]) -> str | None:
        """service = (instance, class, code, subsystem or '', service code or '')."""
        return (
            self._services.get(service)
            or self._services.get(service[:4])
            or self._services.get(service[:3])
        )
