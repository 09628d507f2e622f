"""Cultivation pools (培育库) and how titles move enterprises between them.

梯度培育、动态管理 (seed 000): 创新型 → 专精特新 → 小巨人. An enterprise granted a higher title
enters that tier's pool and leaves the lower tier pools; one whose title is revoked or expires leaves
that pool and falls back to the pool of the highest title it still holds. The 规下转规上 (seed 001,
002) and 上市后备 pools are managed by officers.
"""

from __future__ import annotations

import enum


class Pool(enum.StrEnum):
    INNOVATIVE = "innovative"  # 创新型中小企业培育库
    SPECIALISED = "specialised"  # 专精特新中小企业培育库
    LITTLE_GIANT = "little_giant"  # 专精特新“小巨人”培育库
    SCALE_UP = "scale_up"  # 规下转规上培育库
    LISTING_RESERVE = "listing_reserve"  # 上市后备企业库


class Tier(enum.StrEnum):
    INNOVATIVE = "innovative"  # 创新型中小企业
    SPECIALISED = "specialised"  # 专精特新中小企业
    LITTLE_GIANT = "little_giant"  # 专精特新“小巨人”企业


TIER_RANK = {Tier.INNOVATIVE: 1, Tier.SPECIALISED: 2, Tier.LITTLE_GIANT: 3}
TIER_POOLS = {
    Tier.INNOVATIVE: Pool.INNOVATIVE,
    Tier.SPECIALISED: Pool.SPECIALISED,
    Tier.LITTLE_GIANT: Pool.LITTLE_GIANT,
}


def highest_tier(tiers: list[str]) -> Tier | None:
    held = [Tier(t) for t in tiers]
    return max(held, key=TIER_RANK.__getitem__) if held else None
