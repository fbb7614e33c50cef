"""Which department and national system a gateway's names stand for, from the registry.

Departments declare `gateway: {wso2_applications, xroad_clients}` and
systems `gateway: {wso2_apis, wso2_api_ids, xroad_services}`; the most specific
entry wins (an X-Road subsystem over its member, an API context over a shorter
one). WSO2 API contexts learned from response events (`store.gateway`) map
the fault events, which carry an API's id and name but not its context.
"""

from __future__ import annotations

from registry import Registry
from store.gateway import ApiKey


class GatewayMap:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        # API id or name+version → context, as response events showed them (kept in the store).
        self.learned: dict[ApiKey, str] = {}
        self._api_ids = {i: s.code for s in registry.systems for i in s.gateway.wso2_api_ids}
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

    def wso2_context_system(self, context: str) -> str | None:
        """The system of an API context: the longest declared prefix."""
        path = context.rstrip("/")
        while path:
            found = self._api_contexts.get(path)
            if found is not None:
                return found
            path = path.rpartition("/")[0]
        return None

    def wso2_system(
        self, context: str | None, name: str | None, version: str | None, api_id: str | None
    ) -> str | None:
        """The system of an API: by its context, else its declared id or name, else the
        context learned for its id or name and version (an event without a context)."""
        if context:
            found = self.wso2_context_system(context)
            if found is not None:
                return found
        found = (self._api_ids.get(api_id) if api_id else None) or (
            self._api_names.get(name) if name else None
        )
        if found is not None or context:
            return found
        learned = self.learned_context(name, version, api_id)
        return self.wso2_context_system(learned) if learned else None

    def learned_context(
        self, name: str | None, version: str | None, api_id: str | None
    ) -> str | None:
        """The context a response event of this API (by id, else name and version) showed."""
        found = self.learned.get(("id", api_id)) if api_id else None
        if found is None and name:
            found = self.learned.get(("name", f"{name}\t{version or ''}"))
        return found

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
