"""Scenario times as controllers write them: `T+01:30`, `01:30:00`, `D+0 H+1 M+30`."""

import re
from datetime import timedelta

from django.utils.translation import gettext

_CLOCK = re.compile(r"^(?:T\+)?(?P<h>\d{1,3}):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?$")
_DHM = re.compile(r"^D\+(?P<d>\d+)\s+H\+(?P<h>\d+)\s+M\+(?P<m>\d+)(?:\s+S\+(?P<s>\d+))?$", re.IGNORECASE)


def parse_scenario_time(value) -> timedelta:
    """Parse a scenario time; raise ValueError with a readable reason."""
    if isinstance(value, timedelta):
        return value
    text = str(value).strip().upper()
    if match := _CLOCK.match(text):
        return timedelta(hours=int(match["h"]), minutes=int(match["m"]), seconds=int(match["s"] or 0))
    if match := _DHM.match(text):
        minutes, seconds = int(match["m"]), int(match["s"] or 0)
        if minutes > 59 or seconds > 59:
            raise ValueError(gettext("%(value)s: minutes and seconds must be below 60.") % {"value": repr(value)})
        return timedelta(days=int(match["d"]), hours=int(match["h"]), minutes=minutes, seconds=seconds)
    raise ValueError(
        gettext("%(value)s is not a scenario time; write T+01:30, 01:30:00 or D+0 H+1 M+30.") % {"value": repr(value)}
    )
