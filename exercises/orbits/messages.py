"""CCSDS navigation data messages: the Conjunction Data Message (CDM) and the Orbit Mean-elements
Message (OMM), in KVN and in NDM/XML, written and read with the `ccsds-ndm` package.

Standards: CCSDS 508.0-B-1, "Conjunction Data Message" (Blue Book, 2013), and CCSDS 502.0-B-3,
"Orbit Data Messages" (2023; OMM version 3.0). ccsds-ndm (https://github.com/egemenimre/ccsds-ndm)
holds xsdata models of the NDM/XML 4.0 schemas and reads and writes both encodings; this module builds
its models (`ccsds_ndm.models.ndmxml4`) and lets `NdmKvnIo` and `NdmXmlIo` do every byte of the
formatting and parsing. (Its KVN writer handles the CDM, so no KVN is written by hand here.)

Reading adds what the library leaves out, so that a bad file gets an error naming its field: before
the library parses a text, a flat pass over its KEY = VALUE lines (KVN) or its leaf elements (XML,
parsed strictly, so a truncated file is an error and not a recovered half) checks that every field the
standard requires is there, that numbers are numbers, times are times, units and enumerated values are
the standard's. `MessageError(field, message)` names the field as a reader would look for it: "TCA",
"MISS_DISTANCE", "OBJECT2 X", "OBJECT1 CR_R", "XML".

Frames. A CDM's state vectors must be in EME2000, GCRF or ITRF (the standard has no TEME): the caller
states the frame in `CdmObject.ref_frame` and gives the states in it; this module does not convert.
Covariances are in each object's RTN frame, position terms in m^2. An OMM for SGP4 is always TEME, UTC,
centred on the Earth, with the TLE parameters, and is accepted by `sgp4.omm` as it is.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from ccsds_ndm.models.ndmxml4 import ndmxml_4_0_0_cdm_1_0 as ndm_cdm
from ccsds_ndm.models.ndmxml4 import ndmxml_4_0_0_common_4_0 as ndm_common
from ccsds_ndm.models.ndmxml4 import ndmxml_4_0_0_omm_3_0 as ndm_omm
from ccsds_ndm.models.ndmxml4.ndmxml_4_0_0_master_4_0 import Cdm, Omm
from ccsds_ndm.ndm_kvn_io import NdmKvnIo
from ccsds_ndm.ndm_xml_io import NdmXmlIo

from .collision import rtn_basis
from .elements import ElementsError, MeanElements, format_epoch

OBJECT_TYPES = ("PAYLOAD", "ROCKET BODY", "DEBRIS", "UNKNOWN", "OTHER")
MANEUVERABLE = ("YES", "NO", "N/A")
COVARIANCE_METHODS = ("CALCULATED", "DEFAULT")
CDM_REF_FRAMES = ("EME2000", "GCRF", "ITRF")
# Exercise placeholder for the velocity rows of a CDM covariance when a scenario gives none: Pc uses
# the position block only, but the CDM must carry all 21 terms. 0.1 m/s 1-sigma on each axis, no
# position-velocity correlation.
DEFAULT_VELOCITY_SIGMA_RTN_M_S = (0.1, 0.1, 0.1)

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"
_AXES = ("R", "T", "N")
# CDM covariance keys, lower triangle of the 6x6 [R T N Rdot Tdot Ndot] matrix, as (key, row, column)
_COVARIANCE_KEYS = [
    (f"C{'RTN'[i] if i < 3 else 'RTN'[i - 3] + 'DOT'}_{'RTN'[j] if j < 3 else 'RTN'[j - 3] + 'DOT'}", i, j)
    for i in range(6)
    for j in range(i + 1)
]
_STATE_KEYS = ("X", "Y", "Z", "X_DOT", "Y_DOT", "Z_DOT")
_STATE_UNITS = dict.fromkeys(("X", "Y", "Z"), "km") | dict.fromkeys(("X_DOT", "Y_DOT", "Z_DOT"), "km/s")


class MessageError(ElementsError):
    """A CDM or OMM that cannot be written or read, naming the field at fault."""


def _covariance_unit(row: int, column: int) -> str:
    velocity_terms = (row >= 3) + (column >= 3)
    return ("m**2", "m**2/s", "m**2/s**2")[velocity_terms]


def _matrix3(value, name: str) -> tuple[tuple[float, float, float], ...]:
    try:
        matrix = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise MessageError(name, "must be a 3x3 matrix of numbers") from None
    if matrix.shape != (3, 3) or not np.all(np.isfinite(matrix)):
        raise MessageError(name, "must be a 3x3 matrix of finite numbers")
    return tuple(tuple(float(x) for x in row) for row in matrix)


def _vector3(value, name: str) -> tuple[float, float, float]:
    try:
        vector = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise MessageError(name, "must be three numbers") from None
    if vector.shape != (3,) or not np.all(np.isfinite(vector)):
        raise MessageError(name, "must be three finite numbers")
    return tuple(float(x) for x in vector)


@dataclass(frozen=True)
class CdmObject:
    """One object of a CDM: its metadata, state vector (in `ref_frame`) and RTN covariance.

    covariance_rtn: 3x3 position covariance in m^2 (CR_R, CT_R, CT_T, CN_R, CN_T, CN_N);
    velocity_covariance_rtn: 3x3 in m^2/s^2 (CRDOT_RDOT ... CNDOT_NDOT), default DEFAULT_VELOCITY_SIGMA_RTN_M_S;
    position_velocity_covariance_rtn: 3x3 in m^2/s, row = velocity axis, column = position axis
    (CRDOT_R, CRDOT_T, CRDOT_N, CTDOT_R, ...), default zero.
    """

    object_designator: str  # the catalogue number
    object_name: str
    international_designator: str
    position_km: tuple[float, float, float]
    velocity_km_s: tuple[float, float, float]
    covariance_rtn: tuple[tuple[float, float, float], ...]
    object_type: str = "UNKNOWN"
    operator_organization: str | None = None
    maneuverable: str = "N/A"
    ephemeris_name: str = "NONE"
    covariance_method: str = "CALCULATED"
    ref_frame: str = "EME2000"
    catalog_name: str = "SATCAT"
    velocity_covariance_rtn: tuple[tuple[float, float, float], ...] = field(
        default=tuple(
            tuple(s**2 if i == j else 0.0 for j in range(3)) for i, s in enumerate(DEFAULT_VELOCITY_SIGMA_RTN_M_S)
        )
    )
    position_velocity_covariance_rtn: tuple[tuple[float, float, float], ...] = ((0.0,) * 3,) * 3

    def __post_init__(self):
        for name in ("object_designator", "object_name", "international_designator", "ephemeris_name"):
            if not str(getattr(self, name)).strip():
                raise MessageError(name.upper(), "is empty")
        for name, allowed in (
            ("object_type", OBJECT_TYPES),
            ("maneuverable", MANEUVERABLE),
            ("covariance_method", COVARIANCE_METHODS),
            ("ref_frame", CDM_REF_FRAMES),
        ):
            value = str(getattr(self, name)).strip().upper()
            if value not in allowed:
                raise MessageError(name.upper(), f"{getattr(self, name)!r} is not one of {', '.join(allowed)}")
            object.__setattr__(self, name, value)
        object.__setattr__(self, "position_km", _vector3(self.position_km, "POSITION"))
        object.__setattr__(self, "velocity_km_s", _vector3(self.velocity_km_s, "VELOCITY"))
        for name in ("covariance_rtn", "velocity_covariance_rtn"):
            matrix = _matrix3(getattr(self, name), name.upper())
            if not np.allclose(matrix, np.transpose(matrix), rtol=1e-9, atol=0):
                raise MessageError(name.upper(), "must be symmetric")
            object.__setattr__(self, name, matrix)
        pv = _matrix3(self.position_velocity_covariance_rtn, "POSITION_VELOCITY_COVARIANCE_RTN")
        object.__setattr__(self, "position_velocity_covariance_rtn", pv)

    def covariance_6x6(self) -> np.ndarray:
        """The full RTN covariance [R T N Rdot Tdot Ndot] (m, m/s units)."""
        full = np.zeros((6, 6))
        full[:3, :3] = self.covariance_rtn
        full[3:, 3:] = self.velocity_covariance_rtn
        full[3:, :3] = self.position_velocity_covariance_rtn
        full[:3, 3:] = np.transpose(self.position_velocity_covariance_rtn)
        return full


@dataclass(frozen=True)
class CdmData:
    """A conjunction as a CDM reports it: header, relative metadata and data, and the two objects.

    relative_position_rtn_m / relative_velocity_rtn_m_s: object 2 relative to object 1, in object 1's
    RTN frame (see `relative_state_rtn`). Times are timezone-aware UTC datetimes.
    """

    message_id: str
    originator: str
    creation_date: datetime
    tca: datetime
    miss_distance_m: float
    object1: CdmObject
    object2: CdmObject
    relative_speed_m_s: float | None = None
    relative_position_rtn_m: tuple[float, float, float] | None = None
    relative_velocity_rtn_m_s: tuple[float, float, float] | None = None
    start_screen_period: datetime | None = None
    stop_screen_period: datetime | None = None
    collision_probability: float | None = None
    collision_probability_method: str | None = "FOSTER-1992"
    message_for: str | None = None

    def __post_init__(self):
        for name in ("message_id", "originator"):
            if not str(getattr(self, name)).strip():
                raise MessageError(name.upper(), "is empty")
        for name in ("creation_date", "tca", "start_screen_period", "stop_screen_period"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
                raise MessageError(name.upper(), "must be a timezone-aware UTC datetime")
        if not (math.isfinite(self.miss_distance_m) and self.miss_distance_m >= 0):
            raise MessageError("MISS_DISTANCE", f"{self.miss_distance_m} must be a distance in metres, at least 0")
        if (self.relative_position_rtn_m is None) != (self.relative_velocity_rtn_m_s is None):
            raise MessageError("RELATIVE_POSITION_R", "the relative position and velocity go together or not at all")
        if self.relative_position_rtn_m is not None:
            object.__setattr__(
                self, "relative_position_rtn_m", _vector3(self.relative_position_rtn_m, "RELATIVE_POSITION")
            )
            object.__setattr__(
                self, "relative_velocity_rtn_m_s", _vector3(self.relative_velocity_rtn_m_s, "RELATIVE_VELOCITY")
            )
        if self.collision_probability is not None and not 0 <= self.collision_probability <= 1:
            raise MessageError("COLLISION_PROBABILITY", f"{self.collision_probability} is not between 0 and 1")


def relative_state_rtn(r1_km, v1_km_s, r2_km, v2_km_s) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Object 2's position (m) and velocity (m/s) relative to object 1, in object 1's RTN frame."""
    basis = rtn_basis(r1_km, v1_km_s)
    position = basis @ (np.asarray(r2_km, dtype=float) - np.asarray(r1_km, dtype=float)) * 1000.0
    velocity = basis @ (np.asarray(v2_km_s, dtype=float) - np.asarray(v1_km_s, dtype=float)) * 1000.0
    return tuple(float(x) for x in position), tuple(float(x) for x in velocity)


# ---------------------------------------------------------------- CDM: writing


def cdm_kvn(data: CdmData) -> str:
    """The CDM in KVN (CCSDS 508.0-B-1), written by ccsds-ndm."""
    return NdmKvnIo().to_string(_cdm_model(data)) + "\n"


def cdm_xml(data: CdmData) -> str:
    """The CDM in NDM/XML, written by ccsds-ndm."""
    return NdmXmlIo().to_string(_cdm_model(data))


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def _length_m(value: float):
    return ndm_common.LengthTypeUo(value=float(value), units=ndm_common.LengthUnits.M)


def _speed_m_s(value: float):
    return ndm_cdm.DvType(value=float(value), units=ndm_cdm.DvUnits.M_S)


def _covariance_value(value: float, row: int, column: int):
    unit = _covariance_unit(row, column)
    if unit == "m**2":
        return ndm_cdm.M2Type(value=value, units=ndm_cdm.M2Units.M_2)
    if unit == "m**2/s":
        return ndm_cdm.M2SType(value=value, units=ndm_cdm.M2SUnits.M_2_S)
    return ndm_cdm.M2S2Type(value=value, units=ndm_cdm.M2S2Units.M_2_S_2)


def _cdm_model(data: CdmData) -> Cdm:
    relative_state = None
    if data.relative_position_rtn_m is not None:
        relative_state = ndm_cdm.RelativeStateVectorType(
            **{
                f"relative_position_{a.lower()}": _length_m(x)
                for a, x in zip(_AXES, data.relative_position_rtn_m, strict=True)
            },
            **{
                f"relative_velocity_{a.lower()}": _speed_m_s(x)
                for a, x in zip(_AXES, data.relative_velocity_rtn_m_s, strict=True)
            },
        )
    relative = ndm_cdm.RelativeMetadataData(
        tca=_time(data.tca),
        miss_distance=_length_m(data.miss_distance_m),
        relative_speed=None if data.relative_speed_m_s is None else _speed_m_s(data.relative_speed_m_s),
        relative_state_vector=relative_state,
        start_screen_period=None if data.start_screen_period is None else _time(data.start_screen_period),
        stop_screen_period=None if data.stop_screen_period is None else _time(data.stop_screen_period),
        collision_probability=data.collision_probability,
        collision_probability_method=data.collision_probability_method,
    )
    header = ndm_cdm.CdmHeader(
        creation_date=_time(data.creation_date),
        originator=data.originator,
        message_for=data.message_for,
        message_id=data.message_id,
    )
    segments = [_cdm_segment("OBJECT1", data.object1), _cdm_segment("OBJECT2", data.object2)]
    return Cdm(header=header, body=ndm_cdm.CdmBody(relative_metadata_data=relative, segment=segments))


def _cdm_segment(label: str, obj: CdmObject) -> ndm_cdm.CdmSegment:
    metadata = ndm_cdm.CdmMetadata(
        object_value=ndm_cdm.ObjectType(label),
        object_designator=obj.object_designator,
        catalog_name=obj.catalog_name,
        object_name=obj.object_name,
        international_designator=obj.international_designator,
        object_type=ndm_common.ObjectDescriptionType(obj.object_type),
        operator_organization=obj.operator_organization,
        ephemeris_name=obj.ephemeris_name,
        covariance_method=ndm_cdm.CovarianceMethodType(obj.covariance_method),
        maneuverable=ndm_cdm.ManeuverableType(obj.maneuverable),
        ref_frame=ndm_cdm.ReferenceFrameType(obj.ref_frame),
    )
    km, km_s = ndm_common.PositionUnits.KM, ndm_common.VelocityUnits.KM_S
    state = ndm_cdm.CdmStateVectorType(
        **{
            k: ndm_common.PositionTypeUr(value=x, units=km)
            for k, x in zip(("x", "y", "z"), obj.position_km, strict=True)
        },
        **{
            k: ndm_common.VelocityTypeUr(value=x, units=km_s)
            for k, x in zip(("x_dot", "y_dot", "z_dot"), obj.velocity_km_s, strict=True)
        },
    )
    full = obj.covariance_6x6()
    covariance = ndm_cdm.CdmCovarianceMatrixType(
        **{key.lower(): _covariance_value(float(full[i, j]), i, j) for key, i, j in _COVARIANCE_KEYS}
    )
    return ndm_cdm.CdmSegment(metadata=metadata, data=ndm_cdm.CdmData(state_vector=state, covariance_matrix=covariance))


# ---------------------------------------------------------------- reading: the flat pass


@dataclass
class _Field:
    value: str
    unit: str | None
    where: str  # "line 12" or "element OBJECT2 X"


def _kvn_sections(text: str, first_segment_key: str) -> list[tuple[str, dict[str, _Field]]]:
    """KEY = VALUE [UNIT] lines grouped into sections: the part before `first_segment_key` and one per
    occurrence of it (a CDM's OBJECT = OBJECT1 / OBJECT2). Comments and blank lines are skipped."""
    sections: list[tuple[str, dict[str, _Field]]] = [("", {})]
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("COMMENT"):
            continue
        if "=" not in line:
            raise MessageError(f"line {number}", f"{line[:40]!r} is not KEY = VALUE")
        key, value = (part.strip() for part in line.split("=", 1))
        unit = None
        if value.endswith("]") and "[" in value:
            value, unit = value[:-1].rsplit("[", 1)
            value, unit = value.strip(), unit.strip()
        if key == first_segment_key:
            sections.append((value.upper(), {}))
        sections[-1][1][key] = _Field(value, unit, f"line {number}")
    return sections


def _xml_root(text: str, root_tag: str) -> ET.Element:
    try:
        root = ET.fromstring(text.strip().encode())
    except ET.ParseError as error:
        if "no element found" in str(error) or "unclosed token" in str(error):
            raise MessageError("XML", f"the document ends before it is complete (truncated?): {error}") from None
        raise MessageError("XML", f"not well-formed: {error}") from None
    if _local(root.tag) == "ndm":  # a combined NDM holding one message
        inner = [child for child in root if _local(child.tag) == root_tag]
        if len(inner) != 1:
            raise MessageError("XML", f"expected one <{root_tag}> in the <ndm>, found {len(inner)}")
        root = inner[0]
    if _local(root.tag) != root_tag:
        raise MessageError("XML", f"the root element is <{_local(root.tag)}>, not <{root_tag}>")
    return root


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_leaves(element: ET.Element, label: str) -> dict[str, _Field]:
    return {
        _local(leaf.tag): _Field((leaf.text or "").strip(), leaf.get("units"), f"element {label}{_local(leaf.tag)}")
        for leaf in element.iter()
        if len(leaf) == 0 and leaf is not element and _local(leaf.tag) != "COMMENT"
    }


def _require(fields: dict[str, _Field], keys, prefix: str = "") -> None:
    for key in keys:
        if key not in fields or fields[key].value == "":
            raise MessageError(f"{prefix}{key}", "is missing")


def _number(fields: dict[str, _Field], key: str, prefix: str = "", unit: str | None = None) -> float | None:
    if key not in fields:
        return None
    item = fields[key]
    try:
        value = float(item.value)
    except ValueError:
        raise MessageError(f"{prefix}{key}", f"{item.value!r} is not a number ({item.where})") from None
    if not math.isfinite(value):
        raise MessageError(f"{prefix}{key}", f"{item.value!r} is not a finite number ({item.where})")
    if unit is not None and item.unit is not None and item.unit != unit:
        raise MessageError(f"{prefix}{key}", f"the unit must be [{unit}], not [{item.unit}] ({item.where})")
    return value


def _parse_time(fields: dict[str, _Field], key: str) -> datetime | None:
    if key not in fields:
        return None
    text = fields[key].value.removesuffix("Z")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = datetime.strptime(text.split(".")[0], "%Y-%jT%H:%M:%S")
        except ValueError:
            raise MessageError(key, f"{fields[key].value!r} is not a UTC time ({fields[key].where})") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _choice(fields: dict[str, _Field], key: str, allowed, prefix: str = "") -> None:
    if key in fields and fields[key].value.upper() not in allowed:
        raise MessageError(f"{prefix}{key}", f"{fields[key].value!r} is not one of {', '.join(allowed)}")


# ---------------------------------------------------------------- CDM: reading

_CDM_HEADER_REQUIRED = ("CREATION_DATE", "ORIGINATOR", "MESSAGE_ID")
_CDM_RELATIVE_REQUIRED = ("TCA", "MISS_DISTANCE")
_CDM_RELATIVE_NUMBERS = {
    "MISS_DISTANCE": "m",
    "RELATIVE_SPEED": "m/s",
    **{f"RELATIVE_POSITION_{a}": "m" for a in _AXES},
    **{f"RELATIVE_VELOCITY_{a}": "m/s" for a in _AXES},
    "COLLISION_PROBABILITY": None,
}
_CDM_OBJECT_REQUIRED = (
    "OBJECT_DESIGNATOR",
    "CATALOG_NAME",
    "OBJECT_NAME",
    "INTERNATIONAL_DESIGNATOR",
    "EPHEMERIS_NAME",
    "COVARIANCE_METHOD",
    "MANEUVERABLE",
    "REF_FRAME",
    *_STATE_KEYS,
    *(key for key, _, _ in _COVARIANCE_KEYS),
)


def parse_cdm(text: str) -> CdmData:
    """A CDM in KVN or NDM/XML (told apart by a leading '<'), read with ccsds-ndm.

    Raises MessageError naming the missing or bad field ("TCA", "OBJECT2 X", "XML", ...).
    """
    if not text or not text.strip():
        raise MessageError("CDM", "the message is empty")
    if text.lstrip().startswith("<"):
        root = _xml_root(text, "cdm")
        header = root.find("header")
        body = root.find("body")
        if header is None or body is None:
            raise MessageError("XML", "a CDM needs a <header> and a <body>")
        relative = body.find("relativeMetadataData")
        if relative is None:
            raise MessageError("relativeMetadataData", "is missing")
        top = _xml_leaves(header, "") | _xml_leaves(relative, "")
        objects = []
        for segment in body.findall("segment"):
            metadata_object = segment.find("metadata/OBJECT")
            label = (metadata_object.text or "").strip().upper() if metadata_object is not None else ""
            objects.append((label, _xml_leaves(segment, f"{label} ")))
        sections = [("", top), *objects]
        reader = NdmXmlIo()
    else:
        first = text.lstrip().splitlines()[0]
        if not first.startswith("CCSDS_CDM_VERS"):
            raise MessageError("CCSDS_CDM_VERS", "a CDM in KVN starts with CCSDS_CDM_VERS = 1.0")
        sections = _kvn_sections(text, "OBJECT")
        reader = NdmKvnIo()
    _check_cdm_fields(sections)
    try:
        model = reader.from_string(text)
    except Exception as error:  # the flat pass found nothing, so this is the library's own refusal
        raise MessageError("CDM", f"ccsds-ndm could not read it: {error}") from None
    if type(model).__name__ != "Cdm":  # the CDM 1.0 model of whichever NDM/XML schema version read it
        raise MessageError("CDM", f"this is a {type(model).__name__}, not a CDM")
    return _cdm_from_model(model)


def _check_cdm_fields(sections) -> None:
    top = sections[0][1]
    _require(top, _CDM_HEADER_REQUIRED + _CDM_RELATIVE_REQUIRED)
    for key in ("CREATION_DATE", "TCA", "START_SCREEN_PERIOD", "STOP_SCREEN_PERIOD"):
        _parse_time(top, key)
    for key, unit in _CDM_RELATIVE_NUMBERS.items():
        _number(top, key, unit=unit)
    probability = _number(top, "COLLISION_PROBABILITY")
    if probability is not None and not 0 <= probability <= 1:
        raise MessageError("COLLISION_PROBABILITY", f"{probability} is not between 0 and 1")
    labels = [label for label, _ in sections[1:]]
    if labels != ["OBJECT1", "OBJECT2"]:
        found = ", ".join(labels) or "none"
        raise MessageError("OBJECT", f"a CDM has two segments, OBJECT1 then OBJECT2 (found {found})")
    for label, fields in sections[1:]:
        prefix = f"{label} "
        _require(fields, _CDM_OBJECT_REQUIRED, prefix)
        _choice(fields, "OBJECT_TYPE", OBJECT_TYPES, prefix)
        _choice(fields, "MANEUVERABLE", MANEUVERABLE, prefix)
        _choice(fields, "COVARIANCE_METHOD", COVARIANCE_METHODS, prefix)
        _choice(fields, "REF_FRAME", CDM_REF_FRAMES, prefix)
        for key in _STATE_KEYS:
            _number(fields, key, prefix, _STATE_UNITS[key])
        for key, i, j in _COVARIANCE_KEYS:
            _number(fields, key, prefix, _covariance_unit(i, j))


def _value(quantity) -> float | None:
    return None if quantity is None else float(quantity.value)


def _model_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    return _parse_time({"TIME": _Field(text, None, "")}, "TIME")


def _cdm_from_model(model: Cdm) -> CdmData:
    relative = model.body.relative_metadata_data
    state = relative.relative_state_vector
    position = velocity = None
    if state is not None:
        position = tuple(_value(getattr(state, f"relative_position_{a.lower()}")) for a in _AXES)
        velocity = tuple(_value(getattr(state, f"relative_velocity_{a.lower()}")) for a in _AXES)
    objects = [_cdm_object_from_segment(segment) for segment in model.body.segment]
    return CdmData(
        message_id=model.header.message_id,
        originator=model.header.originator,
        creation_date=_model_time(model.header.creation_date),
        message_for=model.header.message_for,
        tca=_model_time(relative.tca),
        miss_distance_m=_value(relative.miss_distance),
        relative_speed_m_s=_value(relative.relative_speed),
        relative_position_rtn_m=position,
        relative_velocity_rtn_m_s=velocity,
        start_screen_period=_model_time(relative.start_screen_period),
        stop_screen_period=_model_time(relative.stop_screen_period),
        collision_probability=relative.collision_probability,
        collision_probability_method=relative.collision_probability_method,
        object1=objects[0],
        object2=objects[1],
    )


def _enum_text(value) -> str | None:
    return None if value is None else str(getattr(value, "value", value)).upper()


def _cdm_object_from_segment(segment) -> CdmObject:
    metadata, data = segment.metadata, segment.data
    label = _enum_text(metadata.object_value)
    full = np.zeros((6, 6))
    for key, i, j in _COVARIANCE_KEYS:
        full[i, j] = full[j, i] = _value(getattr(data.covariance_matrix, key.lower()))
    state = data.state_vector
    try:
        return CdmObject(
            object_designator=metadata.object_designator,
            object_name=metadata.object_name,
            international_designator=metadata.international_designator,
            object_type=_enum_text(metadata.object_type) or "UNKNOWN",
            operator_organization=metadata.operator_organization,
            maneuverable=_enum_text(metadata.maneuverable),
            ephemeris_name=metadata.ephemeris_name,
            covariance_method=_enum_text(metadata.covariance_method),
            ref_frame=_enum_text(metadata.ref_frame),
            catalog_name=metadata.catalog_name,
            position_km=tuple(_value(getattr(state, k)) for k in ("x", "y", "z")),
            velocity_km_s=tuple(_value(getattr(state, k)) for k in ("x_dot", "y_dot", "z_dot")),
            covariance_rtn=full[:3, :3],
            velocity_covariance_rtn=full[3:, 3:],
            position_velocity_covariance_rtn=full[3:, :3],
        )
    except MessageError as error:
        raise MessageError(f"{label} {error.field}", error.message) from None


# ---------------------------------------------------------------- OMM

_OMM_REQUIRED = (
    "CREATION_DATE",
    "ORIGINATOR",
    "OBJECT_NAME",
    "OBJECT_ID",
    "CENTER_NAME",
    "REF_FRAME",
    "TIME_SYSTEM",
    "MEAN_ELEMENT_THEORY",
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "NORAD_CAT_ID",
    "BSTAR",
    "MEAN_MOTION_DOT",
)
_OMM_NUMBERS = {
    "MEAN_MOTION": "rev/day",
    "ECCENTRICITY": None,
    "INCLINATION": "deg",
    "RA_OF_ASC_NODE": "deg",
    "ARG_OF_PERICENTER": "deg",
    "MEAN_ANOMALY": "deg",
    "BSTAR": "1/ER",
    "MEAN_MOTION_DOT": "rev/day**2",
    "MEAN_MOTION_DDOT": "rev/day**3",
}
_OMM_FIXED = {"CENTER_NAME": "EARTH", "REF_FRAME": "TEME", "TIME_SYSTEM": "UTC", "MEAN_ELEMENT_THEORY": "SGP4"}
_OMM_INTEGERS = ("NORAD_CAT_ID", "ELEMENT_SET_NO", "REV_AT_EPOCH", "EPHEMERIS_TYPE")
_UNKNOWN_OBJECT_ID = "UNKNOWN"


def omm_kvn(
    elements: MeanElements,
    originator: str = "CONJUNCTION",
    *,
    creation_date: datetime | None = None,
    message_id: str | None = None,
    element_set_no: int = 999,
    rev_at_epoch: int = 0,
    classification_type: str = "U",
) -> str:
    """The elements as an OMM in KVN (CCSDS 502.0-B-3, OMM 3.0), written by ccsds-ndm."""
    model = _omm_model(
        elements, originator, creation_date, message_id, element_set_no, rev_at_epoch, classification_type
    )
    return NdmKvnIo().to_string(model) + "\n"


def omm_xml(
    elements: MeanElements,
    originator: str = "CONJUNCTION",
    *,
    creation_date: datetime | None = None,
    message_id: str | None = None,
    element_set_no: int = 999,
    rev_at_epoch: int = 0,
    classification_type: str = "U",
) -> str:
    """The elements as an OMM in NDM/XML, written by ccsds-ndm; `sgp4.omm.parse_xml` reads it as it is."""
    model = _omm_model(
        elements, originator, creation_date, message_id, element_set_no, rev_at_epoch, classification_type
    )
    return NdmXmlIo().to_string(model)


def _omm_model(elements, originator, creation_date, message_id, element_set_no, rev_at_epoch, classification) -> Omm:
    if not str(originator).strip():
        raise MessageError("ORIGINATOR", "is empty")
    deg = ndm_common.AngleUnits.DEG
    metadata = ndm_omm.OmmMetadata(
        object_name=elements.object_name,
        object_id=elements.object_id or _UNKNOWN_OBJECT_ID,
        **{key.lower(): value for key, value in _OMM_FIXED.items()},
    )
    mean = ndm_omm.MeanElementsType(
        epoch=format_epoch(elements.epoch),
        mean_motion=ndm_omm.RevType(value=elements.mean_motion, units=ndm_omm.RevUnits.REV_DAY),
        eccentricity=elements.eccentricity,
        inclination=ndm_common.InclinationType(value=elements.inclination, units=deg),
        ra_of_asc_node=ndm_common.AngleType(value=elements.ra_of_asc_node, units=deg),
        arg_of_pericenter=ndm_common.AngleType(value=elements.arg_of_pericenter, units=deg),
        mean_anomaly=ndm_common.AngleType(value=elements.mean_anomaly, units=deg),
    )
    tle = ndm_omm.TleParametersType(
        ephemeris_type=0,
        classification_type=classification,
        norad_cat_id=elements.norad_cat_id,
        element_set_no=element_set_no,
        rev_at_epoch=rev_at_epoch,
        bstar=ndm_omm.BStarType(value=elements.bstar, units=ndm_omm.BStarUnits.VALUE_1_ER),
        mean_motion_dot=ndm_omm.DRevType(value=elements.mean_motion_dot, units=ndm_omm.DRevUnits.REV_DAY_2),
        mean_motion_ddot=ndm_omm.DdRevType(value=elements.mean_motion_ddot, units=ndm_omm.DdRevUnits.REV_DAY_3),
    )
    header = ndm_common.OdmHeader(
        creation_date=_time(creation_date or datetime.now(UTC)),
        originator=originator,
        message_id=message_id,
    )
    segment = ndm_omm.OmmSegment(metadata=metadata, data=ndm_omm.OmmData(mean_elements=mean, tle_parameters=tle))
    return Omm(header=header, body=ndm_omm.OmmBody(segment=segment))


def parse_omm(text: str) -> MeanElements:
    """SGP4 mean elements from an OMM in KVN or NDM/XML (read with ccsds-ndm).

    The OMM must be for SGP4: MEAN_ELEMENT_THEORY = SGP4, REF_FRAME = TEME, CENTER_NAME = EARTH,
    TIME_SYSTEM = UTC, with MEAN_MOTION and the TLE parameters. Raises MessageError (an ElementsError)
    naming the field.
    """
    if not text or not text.strip():
        raise MessageError("OMM", "the message is empty")
    if text.lstrip().startswith("<"):
        root = _xml_root(text, "omm")
        fields = _xml_leaves(root, "")
        if len(root.findall("body/segment")) != 1:
            raise MessageError("XML", "an OMM has one <segment>")
        reader = NdmXmlIo()
    else:
        if not text.lstrip().startswith("CCSDS_OMM_VERS"):
            raise MessageError("CCSDS_OMM_VERS", "an OMM in KVN starts with CCSDS_OMM_VERS")
        fields = _kvn_sections(text, "CCSDS_OMM_VERS")[-1][1]
        reader = NdmKvnIo()
    _require(fields, _OMM_REQUIRED)
    for key, expected in _OMM_FIXED.items():
        if fields[key].value.upper() != expected:
            raise MessageError(key, f"must be {expected} for SGP4 elements, not {fields[key].value!r}")
    for key, unit in _OMM_NUMBERS.items():
        _number(fields, key, unit=unit)
    for key in _OMM_INTEGERS:
        if key in fields and not fields[key].value.lstrip("+-").isdigit():
            raise MessageError(key, f"{fields[key].value!r} is not a whole number ({fields[key].where})")
    if "EPHEMERIS_TYPE" in fields and int(fields["EPHEMERIS_TYPE"].value) != 0:
        raise MessageError("EPHEMERIS_TYPE", "must be 0 (SGP4)")
    try:
        model = reader.from_string(text)
    except Exception as error:  # the flat pass found nothing, so this is the library's own refusal
        raise MessageError("OMM", f"ccsds-ndm could not read it: {error}") from None
    if type(model).__name__ != "Omm":  # ccsds-ndm's model of OMM 2.0 or 3.0: the fields read here are in both
        raise MessageError("OMM", f"this is a {type(model).__name__}, not an OMM")
    segment = model.body.segment
    metadata, mean, tle = segment.metadata, segment.data.mean_elements, segment.data.tle_parameters
    object_id = metadata.object_id if metadata.object_id != _UNKNOWN_OBJECT_ID else ""
    values = {
        "object_name": metadata.object_name,
        "object_id": object_id,
        "epoch": mean.epoch,
        "mean_motion": _value(mean.mean_motion),
        "eccentricity": mean.eccentricity,
        "inclination": _value(mean.inclination),
        "ra_of_asc_node": _value(mean.ra_of_asc_node),
        "arg_of_pericenter": _value(mean.arg_of_pericenter),
        "mean_anomaly": _value(mean.mean_anomaly),
        "bstar": _value(tle.bstar),
        "mean_motion_dot": _value(tle.mean_motion_dot),
        "mean_motion_ddot": _value(tle.mean_motion_ddot) or 0.0,
        "norad_cat_id": tle.norad_cat_id,
    }
    try:
        return MeanElements.from_dict(values)
    except MessageError:
        raise
    except ElementsError as error:
        raise MessageError(error.field, error.message) from None
