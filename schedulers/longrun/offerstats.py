"""Why a queued app is not launching (PURE): Marathon's `processedOffersSummary` from the core's NoMatch reasons.

`offer_summary(keys, no_match, invalid)` takes the app's queued demand keys, the last offer round's NoMatch per
key (`.offers` processed, `.reasons` {reason: offers declined}) and invalid-spec messages per key, and returns
(the `processedOffersSummary` object, the extra `reasons` lines of the queue entry).
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping


def offer_summary(keys: Iterable[str], no_match: Mapping[str, Any],
                  invalid: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    keys = list(keys)
    reasons: dict[str, int] = {}
    processed = 0
    for key in keys:
        found = no_match.get(key)
        if found is not None:
            processed = max(processed, found.offers)
            for reason, count in found.reasons.items():
                reasons[reason] = max(reasons.get(reason, 0), count)
    summary = {"processedOffersCount": processed, "unusedOffersCount": processed,
               "rejectSummaryLastOffers": [{"reason": r, "declined": n, "processed": processed}
                                           for r, n in sorted(reasons.items())],
               "rejectSummaryLaunchAttempt": []}
    lines = [f"{n} offers rejected: {r}" for r, n in sorted(reasons.items())]
    return summary, lines + sorted({invalid[k] for k in keys if k in invalid})
