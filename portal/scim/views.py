"""The SCIM 2.0 endpoints under /scim/v2/: authenticate, read the request, call a selector or a
service, answer `application/scim+json`.

Every answer that is not a success is a SCIM error body (RFC 7644, 3.12): 401 without a live
client token, 400 with a `scimType` for bad input, 404, 405, 409 `uniqueness`, 413. No CSRF
(the bearer token is the credential, and no browser holds one); nothing here calls Plain: the
sync outbox does, after commit.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from portal.scim import discovery, selectors, services
from portal.scim.errors import ScimError
from portal.scim.resources import (
    GROUP_SCHEMA,
    LIST_SCHEMA,
    USER_SCHEMA,
    attribute_names,
    group_draft_from_body,
    group_draft_of,
    group_draft_patch,
    group_resource,
    project,
    user_draft_from_body,
    user_draft_of,
    user_draft_patch,
    user_resource,
)
from portal.scim.tokens import client_authenticate

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/scim+json"

View = Callable[..., HttpResponse]


def _answer(data: Any, *, status: int = 200, location: str = "") -> JsonResponse:
    response = JsonResponse(data, status=status, content_type=CONTENT_TYPE, safe=False)
    if location:
        response["Location"] = location
    return response


def _error(error: ScimError) -> JsonResponse:
    response = _answer(error.body(), status=error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="scim"'
    return response


def scim_endpoint(*methods: str) -> Callable[[View], View]:
    """The SCIM view's frame: methods, bearer token, body size, and ScimError as an answer."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise ScimError(405, f"{request.method} is not supported here.")
                client = client_authenticate(authorization=request.headers.get("Authorization", ""))
                if client is None:
                    logger.warning("SCIM request refused: no valid bearer token (%s)", request.path)
                    raise ScimError(401, "A valid bearer token is required.")
                response = view(request, *args, **kwargs)
            except ScimError as error:
                return _error(error)
            if request.method not in {"GET", "HEAD"} and response.status_code < 300:
                logger.info(
                    "SCIM %s %s by %s: %d",
                    request.method,
                    request.path,
                    client.name,
                    response.status_code,
                )
            return response

        return wrapper

    return decorate


def _body(request: HttpRequest) -> Any:
    limit = int(settings.SCIM_MAX_BODY_BYTES)
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > limit:
        raise ScimError(413, f"The request body is over {limit} bytes.")
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise ScimError(413, f"The request body is over {limit} bytes.")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ScimError.bad("invalidSyntax", "The request body is not JSON.") from None


def _url(request: HttpRequest) -> Callable[[str], str]:
    base = reverse("scim:root")
    return lambda path: request.build_absolute_uri(base + path)


def _locator(request: HttpRequest) -> Callable[[str, str], str]:
    url = _url(request)
    return lambda kind, scim_id: url(f"{kind}/{scim_id}")


def _paging(request: HttpRequest) -> tuple[int, int]:
    limit = int(settings.SCIM_MAX_PAGE_SIZE)
    try:
        start = int(request.GET.get("startIndex", "1"))
        count = int(request.GET.get("count", str(limit)))
    except ValueError:
        raise ScimError.bad("invalidValue", "startIndex and count must be integers.") from None
    # RFC 7644 3.4.2.4: below 1 means 1; a negative count means 0; more than we give is capped.
    # A start past any real offset is kept within what a database integer holds.
    return min(max(start, 1), 2**31), min(max(count, 0), limit)


def _projection(request: HttpRequest, *, urn: str) -> tuple[frozenset[str], frozenset[str]]:
    return (
        attribute_names(request.GET.get("attributes"), core_urn=urn),
        attribute_names(request.GET.get("excludedAttributes"), core_urn=urn),
    )


def _list(resources: list[dict[str, Any]], *, total: int, start: int) -> dict[str, Any]:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


# === discovery ===============================================================================


@scim_endpoint("GET")
def service_provider_config(request: HttpRequest) -> HttpResponse:
    return _answer(
        discovery.service_provider_config(
            url=_url(request), max_results=int(settings.SCIM_MAX_PAGE_SIZE)
        )
    )


@scim_endpoint("GET")
def resource_types(request: HttpRequest, name: str = "") -> HttpResponse:
    types = discovery.resource_types(url=_url(request))
    if name:
        found = next((t for t in types if t["id"] == name), None)
        if found is None:
            raise ScimError.not_found("No such resource type.")
        return _answer(found)
    return _answer(_list(types, total=len(types), start=1))


@scim_endpoint("GET")
def schemas(request: HttpRequest, urn: str = "") -> HttpResponse:
    documents = discovery.schemas(url=_url(request))
    if urn:
        found = next((s for s in documents if s["id"] == urn), None)
        if found is None:
            raise ScimError.not_found("No such schema.")
        return _answer(found)
    return _answer(_list(documents, total=len(documents), start=1))


# === users ===================================================================================


@scim_endpoint("GET", "POST")
def users(request: HttpRequest) -> HttpResponse:
    locate = _locator(request)
    if request.method == "POST":
        user = services.user_create(draft=user_draft_from_body(_body(request)))
        user = selectors.user_get(scim_id=str(user.portal_id)) or user
        resource = user_resource(user, location=locate)
        return _answer(resource, status=201, location=resource["meta"]["location"])
    start, count = _paging(request)
    attributes, excluded = _projection(request, urn=USER_SCHEMA)
    page = selectors.user_page(
        filter_text=request.GET.get("filter"), start_index=start, count=count
    )
    resources = [
        project(
            user_resource(u, location=locate, groups="groups" not in excluded),
            attributes=attributes,
            excluded=excluded,
        )
        for u in page.items
    ]
    return _answer(_list(resources, total=page.total, start=start))


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def user(request: HttpRequest, scim_id: str) -> HttpResponse:
    found = selectors.user_get(scim_id=scim_id)
    if found is None:
        raise ScimError.not_found("No such user.")
    if request.method == "DELETE":
        services.user_delete(user=found)
        return HttpResponse(status=204)
    if request.method == "PUT":
        services.user_update(user=found, draft=user_draft_from_body(_body(request)))
    elif request.method == "PATCH":
        draft = user_draft_patch(user_draft_of(found), _body(request))
        services.user_update(user=found, draft=draft)
    if request.method != "GET":
        found = selectors.user_get(scim_id=scim_id)
        if found is None:  # an update cannot hide a user; kept for the type checker
            raise ScimError.not_found("No such user.")
    attributes, excluded = _projection(request, urn=USER_SCHEMA)
    resource = user_resource(found, location=_locator(request))
    return _answer(project(resource, attributes=attributes, excluded=excluded))


# === groups ==================================================================================


@scim_endpoint("GET", "POST")
def groups(request: HttpRequest) -> HttpResponse:
    locate = _locator(request)
    if request.method == "POST":
        organization = services.group_create(draft=group_draft_from_body(_body(request)))
        members = selectors.group_members(organization=organization)
        resource = group_resource(organization, location=locate, members=members)
        return _answer(resource, status=201, location=resource["meta"]["location"])
    start, count = _paging(request)
    attributes, excluded = _projection(request, urn=GROUP_SCHEMA)
    page = selectors.group_page(
        filter_text=request.GET.get("filter"), start_index=start, count=count
    )
    wants_members = "members" not in excluded and (not attributes or "members" in attributes)
    members_by_group = selectors.group_members_of(organizations=page.items) if wants_members else {}
    resources = [
        project(
            group_resource(
                org,
                location=locate,
                members=members_by_group.get(org.pk) if wants_members else None,
            ),
            attributes=attributes,
            excluded=excluded,
        )
        for org in page.items
    ]
    return _answer(_list(resources, total=page.total, start=start))


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def group(request: HttpRequest, scim_id: str) -> HttpResponse:
    found = selectors.group_get(scim_id=scim_id)
    if found is None:
        raise ScimError.not_found("No such group.")
    if request.method == "DELETE":
        services.group_delete(organization=found)
        return HttpResponse(status=204)
    if request.method == "PUT":
        found = services.group_update(
            organization=found, draft=group_draft_from_body(_body(request))
        )
    elif request.method == "PATCH":
        body = _body(request)
        current = [portal_id for portal_id, _ in selectors.group_members(organization=found)]
        draft = group_draft_patch(group_draft_of(found, member_ids=current), body)
        found = services.group_update(organization=found, draft=draft)
    attributes, excluded = _projection(request, urn=GROUP_SCHEMA)
    wants_members = "members" not in excluded and (not attributes or "members" in attributes)
    members = selectors.group_members(organization=found) if wants_members else None
    resource = group_resource(found, location=_locator(request), members=members)
    return _answer(project(resource, attributes=attributes, excluded=excluded))


@scim_endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    raise ScimError.not_found("No such SCIM endpoint.")
