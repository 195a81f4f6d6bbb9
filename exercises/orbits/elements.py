"""Mean orbital elements as in a CCSDS Orbit Mean-elements Message (OMM), and their SGP4 records.

Units are the OMM's: degrees, revolutions per day, BSTAR in 1/Earth radii, epoch in UTC.
Angles into sgp4 are radians and the mean motion rad/min (sgp4's own conventions).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta

import numpy as np
from sgp4.api import WGS72, Satrec, jday

MU_KM3_S2 = 398600.8  # WGS-72, the gravity model SGP4 is defined with
EARTH_RADIUS_KM = 6378.135  # WGS-72
_SGP4_EPOCH0 = datetime(1949, 12, 31, tzinfo=UTC)
_XPDOTP = 1440.0 / (2.0 * math.pi)  # rev/day per rad/min, as sgp4's TLE parser divides by it
_NDOT_UNITS = 1036800.0 / math.pi  # rev/day^2 per rad/min^2 (SGP4.cpp)
_NDDOT_UNITS = 2985984000.0 / 2.0 / math.pi


def gettext_noop(message: str) -> str:
    """Marks a message for the French catalogue: makemessages reads `gettext_noop("…")` here as in the app.
    This package imports nothing of Django; the app shows the message in the reader's language
    (exercises/orbit_errors.py)."""
    return message


class Explained(ValueError):
    """An error whose message is a template and its values (`template % values`), naming the field at fault,
    so that the app can show it in the reader's language."""

    def __init__(self, field: str, template: str, values: dict):
        self.field, self.template, self.values = field, template, values
        self.message = template % values if values else template
        super().__init__(self.message)


class ElementsError(Explained):
    """Elements that cannot be used, naming the field at fault."""

    def __init__(self, field: str, message: str, **values):
        super().__init__(field, message, values)
        self.args = (f"{field}: {self.message}",)


@dataclass(frozen=True)
class MeanElements:
    """One object's SGP4 mean elements at an epoch, named as the OMM names them."""

    object_name: str
    epoch: datetime  # timezone-aware, UTC
    mean_motion: float  # rev/day
    eccentricity: float
    inclination: float  # deg
    ra_of_asc_node: float  # deg
    arg_of_pericenter: float  # deg
    mean_anomaly: float  # deg
    bstar: float = 0.0  # 1/ER
    mean_motion_dot: float = 0.0  # rev/day^2 (TLE's first derivative / 2 convention, as OMM)
    mean_motion_ddot: float = 0.0  # rev/day^3
    norad_cat_id: int = 0
    object_id: str = ""  # international designator, e.g. 2031-012A

    def __post_init__(self):
        check(self)

    @property
    def semi_major_axis_km(self) -> float:
        n = self.mean_motion * 2 * math.pi / 86400.0
        return (MU_KM3_S2 / n**2) ** (1 / 3)

    @property
    def period_minutes(self) -> float:
        return 1440.0 / self.mean_motion

    @property
    def apogee_km(self) -> float:
        return self.semi_major_axis_km * (1 + self.eccentricity) - EARTH_RADIUS_KM

    @property
    def perigee_km(self) -> float:
        return self.semi_major_axis_km * (1 - self.eccentricity) - EARTH_RADIUS_KM

    def as_omm_fields(self) -> dict:
        """The OMM's field names (upper case) with their values; the epoch in ISO 8601 UTC."""
        values = asdict(self)
        values["epoch"] = format_epoch(self.epoch)
        return {key.upper(): value for key, value in values.items()}

    def as_dict(self) -> dict:
        """Plain JSON-ready values (lower-case OMM names), as scenarios and archives store them."""
        values = asdict(self)
        values["epoch"] = format_epoch(self.epoch)
        return values

    @classmethod
    def from_dict(cls, values: dict) -> MeanElements:
        """From as_dict() or OMM-named fields (either case); errors name the field."""
        lowered = {str(key).lower(): value for key, value in values.items()}
        fields = {}
        for name, kind, required in _FIELDS:
            if name not in lowered or lowered[name] in (None, ""):
                if required:
                    raise ElementsError(name.upper(), gettext_noop("is missing"))
                continue
            raw = lowered[name]
            try:
                if kind is datetime:
                    fields[name] = parse_epoch(raw)
                elif kind is int:
                    fields[name] = int(raw)
                elif kind is float:
                    fields[name] = float(raw)
                else:
                    fields[name] = str(raw).strip()
            except ElementsError:
                raise
            except (TypeError, ValueError):
                raise ElementsError(
                    name.upper(), gettext_noop("%(raw)s is not a valid %(kind)s"), raw=repr(raw), kind=kind.__name__
                ) from None
        return cls(**fields)

    def with_name(self, object_name: str) -> MeanElements:
        return replace(self, object_name=object_name)


_FIELDS = [
    ("object_name", str, True),
    ("epoch", datetime, True),
    ("mean_motion", float, True),
    ("eccentricity", float, True),
    ("inclination", float, True),
    ("ra_of_asc_node", float, True),
    ("arg_of_pericenter", float, True),
    ("mean_anomaly", float, True),
    ("bstar", float, False),
    ("mean_motion_dot", float, False),
    ("mean_motion_ddot", float, False),
    ("norad_cat_id", int, False),
    ("object_id", str, False),
]


def check(elements: MeanElements) -> None:
    """Raise ElementsError naming the first field out of its physical range."""
    if not elements.object_name.strip():
        raise ElementsError("OBJECT_NAME", gettext_noop("is empty"))
    if elements.epoch.tzinfo is None:
        raise ElementsError("EPOCH", gettext_noop("must be in UTC"))
    for name in ("mean_motion", "eccentricity", "inclination", "ra_of_asc_node", "arg_of_pericenter", "mean_anomaly"):
        if not math.isfinite(getattr(elements, name)):
            raise ElementsError(name.upper(), gettext_noop("is not a finite number"))
    if not 0.05 < elements.mean_motion < 20:
        raise ElementsError(
            "MEAN_MOTION",
            gettext_noop("%(value)s rev/day is not an Earth orbit (0.05 to 20)"),
            value=elements.mean_motion,
        )
    if not 0 <= elements.eccentricity < 1:
        raise ElementsError(
            "ECCENTRICITY", gettext_noop("%(value)s must be at least 0 and below 1"), value=elements.eccentricity
        )
    if not 0 <= elements.inclination <= 180:
        raise ElementsError(
            "INCLINATION", gettext_noop("%(value)s° must be between 0 and 180"), value=elements.inclination
        )
    for name in ("ra_of_asc_node", "arg_of_pericenter", "mean_anomaly"):
        if not -360 <= getattr(elements, name) <= 360:
            raise ElementsError(
                name.upper(), gettext_noop("%(value)s° must be between -360 and 360"), value=getattr(elements, name)
            )
    if elements.perigee_km < 80:
        raise ElementsError(
            "ECCENTRICITY",
            gettext_noop("the perigee (%(perigee).0f km) is inside the atmosphere"),
            perigee=elements.perigee_km,
        )
    if elements.norad_cat_id < 0 or elements.norad_cat_id > 339999999:
        raise ElementsError("NORAD_CAT_ID", gettext_noop("must be a catalogue number from 0 to 339999999"))


def format_epoch(epoch: datetime) -> str:
    return epoch.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def parse_epoch(raw) -> datetime:
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=UTC)
    text = str(raw).strip().removesuffix("Z")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        # OMM also allows day-of-year: 2031-045T12:00:00
        try:
            parsed = datetime.strptime(text.split(".")[0], "%Y-%jT%H:%M:%S")
        except ValueError:
            raise ElementsError("EPOCH", gettext_noop("%(raw)s is not an ISO 8601 UTC time"), raw=repr(raw)) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_tle(line1: str, line2: str, name: str = "") -> MeanElements:
    """A two-line element set (with an optional name line given apart)."""
    line1, line2 = line1.strip(), line2.strip()
    if not line1.startswith("1 ") or len(line1) < 64:
        raise ElementsError("TLE line 1", gettext_noop("must start with '1 ' and hold 69 characters"))
    if not line2.startswith("2 ") or len(line2) < 63:
        raise ElementsError("TLE line 2", gettext_noop("must start with '2 ' and hold 69 characters"))
    for number, line in ((1, line1), (2, line2)):
        if len(line) >= 69 and line[68].isdigit() and _tle_checksum(line[:68]) != int(line[68]):
            raise ElementsError(f"TLE line {number}", gettext_noop("checksum does not match"))
    try:
        satrec = Satrec.twoline2rv(line1, line2)
    except Exception as error:  # sgp4 raises ValueError and friends with its own texts
        raise ElementsError("TLE", str(error)) from None
    if satrec.error:
        raise ElementsError("TLE", gettext_noop("sgp4 refused the element set (error %(code)s)"), code=satrec.error)
    # the two parts apart: their sum (about 2.4e6 days) holds only ~20 microseconds of resolution
    epoch = _SGP4_EPOCH0 + timedelta(days=satrec.jdsatepoch - 2433281.5) + timedelta(days=satrec.jdsatepochF)
    intl = line1[9:17].strip()
    object_id = ""
    if len(intl) >= 5:
        year = int(intl[:2])
        object_id = f"{1900 + year if year >= 57 else 2000 + year}-{intl[2:]}"
    return MeanElements(
        object_name=name.strip() or f"OBJECT {satrec.satnum}",
        epoch=epoch,
        # the TLE's own decimal values (as sgp4's parser reads them): to_satrec then rebuilds the very
        # record twoline2rv does, bit for bit, instead of one off by the rounding of a unit round trip
        mean_motion=float(line2[52:63]),
        eccentricity=satrec.ecco,
        inclination=float(line2[8:16]),
        ra_of_asc_node=float(line2[17:25]),
        arg_of_pericenter=float(line2[34:42]),
        mean_anomaly=float(line2[43:51]),
        bstar=satrec.bstar,
        mean_motion_dot=satrec.ndot * _NDOT_UNITS,
        mean_motion_ddot=satrec.nddot * _NDDOT_UNITS,
        norad_cat_id=int(satrec.satnum),
        object_id=object_id,
    )


def _tle_checksum(text: str) -> int:
    return sum(int(c) if c.isdigit() else 1 if c == "-" else 0 for c in text) % 10


def to_satrec(elements: MeanElements) -> Satrec:
    """The SGP4 record of the elements (WGS-72, improved mode, as the TLE convention)."""
    satrec = Satrec()
    jd, fr = julian(elements.epoch)
    epoch_days = (jd + fr) - 2433281.5  # as sgp4's twoline2rv computes it, so that a TLE's record is rebuilt exactly
    satrec.sgp4init(
        WGS72,
        "i",
        elements.norad_cat_id % 100000,
        epoch_days,
        elements.bstar,
        elements.mean_motion_dot / _NDOT_UNITS,
        elements.mean_motion_ddot / _NDDOT_UNITS,
        elements.eccentricity,
        math.radians(elements.arg_of_pericenter),
        math.radians(elements.inclination),
        math.radians(elements.mean_anomaly),
        elements.mean_motion / _XPDOTP,
        math.radians(elements.ra_of_asc_node),
    )
    # sgp4init keeps the epoch as one float of days since 1950 (0.2 microsecond steps); the two-part
    # Julian date of the datetime itself makes times since epoch exact to the microsecond
    satrec.jdsatepoch, satrec.jdsatepochF = jd, fr
    return satrec


def julian(moment: datetime) -> tuple[float, float]:
    """A UTC time as sgp4's two-part Julian date."""
    moment = moment.astimezone(UTC)
    jd, fr = jday(moment.year, moment.month, moment.day, moment.hour, moment.minute, 0.0)
    return jd, fr + (moment.second + moment.microsecond / 1e6) / 86400.0


def state_at(elements: MeanElements, moment: datetime) -> tuple[np.ndarray, np.ndarray]:
    """Position (km) and velocity (km/s) in TEME at a UTC time."""
    jd, fr = julian(moment)
    error, r, v = to_satrec(elements).sgp4(jd, fr)
    if error:
        raise ElementsError(
            "EPOCH",
            gettext_noop("SGP4 cannot propagate %(name)s to %(moment)s (error %(code)s)"),
            name=elements.object_name,
            moment=f"{moment:%Y-%m-%d %H:%M}",
            code=error,
        )
    return np.array(r), np.array(v)


def circular(
    object_name: str,
    epoch: datetime,
    altitude_km: float,
    inclination: float,
    ra_of_asc_node: float = 0.0,
    mean_anomaly: float = 0.0,
    eccentricity: float = 0.0001,
    arg_of_pericenter: float = 0.0,
    **extra,
) -> MeanElements:
    """Elements for a near-circular orbit at an altitude: how authors state an orbit in prose."""
    a = EARTH_RADIUS_KM + altitude_km
    mean_motion = math.sqrt(MU_KM3_S2 / a**3) * 86400.0 / (2 * math.pi)
    return MeanElements(
        object_name=object_name,
        epoch=epoch,
        mean_motion=mean_motion,
        eccentricity=eccentricity,
        inclination=inclination,
        ra_of_asc_node=ra_of_asc_node % 360,
        arg_of_pericenter=arg_of_pericenter % 360,
        mean_anomaly=mean_anomaly % 360,
        **extra,
    )


def osculating(r: np.ndarray, v: np.ndarray) -> dict:
    """Classical osculating elements of a state (km, km/s): a, e, i, raan, argp, M (radians, km)."""
    r = np.asarray(r, dtype=float)
    v = np.asarray(v, dtype=float)
    h = np.cross(r, v)
    node = np.cross([0.0, 0.0, 1.0], h)
    rn, vn = np.linalg.norm(r), np.linalg.norm(v)
    e_vec = ((vn**2 - MU_KM3_S2 / rn) * r - np.dot(r, v) * v) / MU_KM3_S2
    e = float(np.linalg.norm(e_vec))
    energy = vn**2 / 2 - MU_KM3_S2 / rn
    a = -MU_KM3_S2 / (2 * energy)
    i = math.acos(max(-1.0, min(1.0, h[2] / np.linalg.norm(h))))
    nn = np.linalg.norm(node)
    raan = math.atan2(node[1], node[0]) if nn > 1e-12 else 0.0
    # argument of latitude u, then argp = u - true anomaly (robust at small e)
    if nn > 1e-12:
        u = math.atan2(np.dot(np.cross(node, r), h) / np.linalg.norm(h), np.dot(node, r))
    else:
        u = math.atan2(r[1], r[0])
    if e > 1e-12:
        nu = math.atan2(np.dot(np.cross(e_vec, r), h) / np.linalg.norm(h), np.dot(e_vec, r))
    else:
        nu = u
    argp = u - nu
    ecc_anom = 2 * math.atan2(math.sqrt(1 - e) * math.sin(nu / 2), math.sqrt(1 + e) * math.cos(nu / 2))
    mean_anom = ecc_anom - e * math.sin(ecc_anom)
    return {
        "a": a,
        "e": e,
        "i": i,
        "raan": raan % (2 * math.pi),
        "argp": argp % (2 * math.pi),
        "M": mean_anom % (2 * math.pi),
    }


def from_state(
    object_name: str, epoch: datetime, r: np.ndarray, v: np.ndarray, template: MeanElements | None = None, **extra
) -> MeanElements:
    """SGP4 mean elements at `epoch` whose propagation to `epoch` gives the state (r, v) in TEME.

    SGP4's mean elements are not osculating ones, so they are fitted by a fixed-point iteration on the
    state: take the osculating elements of a trial state as mean elements, propagate them to `epoch`,
    and move the trial state by the difference between the target and what SGP4 gives, until the
    position agrees to a centimetre and the velocity to a few micrometres per second (a few iterations
    in low Earth orbit). Correcting the state rather than the elements one by one keeps it well posed
    on near-circular and near-equatorial orbits, where the eccentricity, argument of perigee and node
    are ill-defined (SGP4's short-period terms alone give an osculating eccentricity of about 0.001,
    which a correction of the scalar eccentricity cannot reach from a circular target).
    BSTAR and the catalogue identity come from the template.
    """
    r = np.asarray(r, dtype=float)
    v = np.asarray(v, dtype=float)
    base = {"bstar": 0.0, "norad_cat_id": 0, "object_id": ""}
    if template is not None:
        base = {"bstar": template.bstar, "norad_cat_id": template.norad_cat_id, "object_id": template.object_id}
    base.update(extra)
    trial_r, trial_v = r.copy(), v.copy()
    best, best_error = None, math.inf
    for _ in range(30):
        try:
            candidate = _elements_from_classical(object_name, epoch, osculating(trial_r, trial_v), base)
            r_fit, v_fit = state_at(candidate, epoch)
        except (ElementsError, ValueError, ZeroDivisionError):
            break
        error = float(np.linalg.norm(r_fit - r))
        if error < best_error:
            best, best_error = candidate, error
        if error < 1e-5 and np.linalg.norm(v_fit - v) < 1e-8:  # 1 cm, 10 micrometres/s
            break
        trial_r = trial_r + (r - r_fit)
        trial_v = trial_v + (v - v_fit)
    if best is None:
        raise ElementsError("STATE", gettext_noop("no SGP4 elements reproduce the state of %(name)s"), name=object_name)
    return best


def _wrap(angle: float) -> float:
    return (angle + math.pi) % (2 * math.pi) - math.pi


def _elements_from_classical(object_name, epoch, k, base) -> MeanElements:
    n = math.sqrt(MU_KM3_S2 / k["a"] ** 3) * 86400.0 / (2 * math.pi)
    return MeanElements(
        object_name=object_name,
        epoch=epoch,
        mean_motion=n,
        eccentricity=min(max(k["e"], 0.0), 0.99),
        inclination=math.degrees(k["i"]) % 180 if k["i"] <= math.pi else 180.0,
        ra_of_asc_node=math.degrees(k["raan"]) % 360,
        arg_of_pericenter=math.degrees(k["argp"]) % 360,
        mean_anomaly=math.degrees(k["M"]) % 360,
        **base,
    )
