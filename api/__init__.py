"""The JSON API under /api/v1: pushed transactions, excusals, status, the OpenAPI document.

One aiohttp sub-application (`api.app.add_api`), mounted by the service's app factory.
"""
