"""Named problems: the errors every service answers alike, built in one place so that their codes,
fields, extra members and both messages agree wherever they are raised.

    raise not_found(ENTERPRISE, uscc, field="uscc")            # 404 enterprise_not_found
    raise version_conflict(FLAG, flag_id, current=3, sent=2)   # 409 version_conflict
    ensure_in_region(actor, region_code, reporting_unit_code)  # 403 region_forbidden
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from sme_common.auth.principal import Principal, RegionLevel, RegionScope
from sme_common.errors import Conflict, Forbidden, NotFound

Row = TypeVar("Row")
Reader = TypeVar("Reader")


@dataclass(frozen=True)
class Resource:
    """A kind of thing a problem names: the prefix of its codes (``enterprise`` →
    ``enterprise_not_found``) and how one is named for people, ``{key}`` standing for its key."""

    code: str
    label: str
    label_zh: str

    def named(self, key: object) -> tuple[str, str]:
        return self.label.format(key=key), self.label_zh.format(key=key)


ENTERPRISE = Resource("enterprise", "enterprise {key}", "企业 {key}")


def not_found(resource: Resource, key: object, *, field: str) -> NotFound:
    """404 ``<resource>_not_found``. Outside the caller's region is the same answer as absent: a
    caller learns nothing of what lies beyond its region."""
    name, name_zh = resource.named(key)
    return NotFound(
        f"{resource.code}_not_found",
        f"No {name} in your region",
        f"您的辖区内没有{name_zh}",
        field=field,
    )


def version_conflict(
    resource: Resource, key: object, *, current: int | None, sent: int | None
) -> Conflict:
    """409 ``version_conflict``: the change names a version (``version`` or ``If-Match``) that is
    not the current one (``current`` None: there is nothing yet to change). The answer carries
    ``current_version`` so that the caller can read again and retry."""
    name, name_zh = resource.named(key)
    if current is None:
        detail = f"No {name} exists yet: send no version to create it"
        detail_zh = f"{name_zh}尚不存在，首次提交不需要版本号"
    else:
        detail = f"Version {current} of {name} is current, not {sent}"
        detail_zh = f"{name_zh}已被修改（当前版本 {current}），请重新读取后再提交"
    return Conflict(
        "version_conflict", detail, detail_zh, field="version", extra={"current_version": current}
    )


def expect_version(resource: Resource, key: object, *, current: int, sent: int | None) -> None:
    """A change to something that exists names the version it was based on: none sent is a 409
    ``version_required``, another than ``current`` a 409 ``version_conflict``; both carry
    ``current_version``."""
    if sent is None:
        name, _ = resource.named(key)
        raise Conflict(
            "version_required",
            f"Send the version of {name} you read (version or If-Match)",
            "请提交读取时的版本号（version 或 If-Match）",
            field="version",
            extra={"current_version": current},
        )
    if sent != current:
        raise version_conflict(resource, key, current=current, sent=sent)


def region_forbidden(region_code: str, *, field: str = "region_code") -> Forbidden:
    """403 ``region_forbidden``: the caller would create or move something outside its region."""
    return Forbidden(
        "region_forbidden",
        f"Region {region_code} is outside your own",
        f"行政区划 {region_code} 不在您的辖区内",
        field=field,
    )


def ensure_in_region(
    principal: Principal,
    region_code: str,
    reporting_unit_code: str,
    *,
    field: str = "region_code",
) -> None:
    """Refuse (``region_forbidden``) a place outside ``principal``'s region."""
    if not principal.region_scope().covers(region_code, reporting_unit_code):
        raise region_forbidden(region_code, field=field)


async def enterprise_in_scope(
    lookup: Callable[[Reader, str, RegionScope], Awaitable[Row | None]],
    reader: Reader,
    uscc: str,
    principal: Principal,
) -> Row:
    """The enterprise ``uscc`` as ``principal`` may see it, read by ``lookup`` (which puts the
    region scope into its query: docs/architecture.md); 404 ``enterprise_not_found`` when it is
    absent or outside the principal's region. An enterprise principal asking for another
    enterprise is answered the same 404 before anything is read: whatever the lookup's query, an
    enterprise never learns that another one exists."""
    scope = principal.region_scope()
    if scope.level is RegionLevel.ENTERPRISE and not scope.covers("", "", uscc=uscc):
        raise not_found(ENTERPRISE, uscc, field="uscc")
    row = await lookup(reader, uscc, scope)
    if row is None:
        raise not_found(ENTERPRISE, uscc, field="uscc")
    return row
