"""exercises.orbits.messages: CDM and OMM written and read with ccsds-ndm, and the errors naming fields."""

import io
import warnings
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from ccsds_ndm.models.ndmxml4.ndmxml_4_0_0_master_4_0 import Cdm, Omm
from ccsds_ndm.ndm_kvn_io import NdmKvnIo
from ccsds_ndm.ndm_xml_io import NdmXmlIo
from sgp4 import omm as sgp4_omm
from sgp4.api import Satrec

from exercises.orbits.collision import rtn_basis
from exercises.orbits.elements import ElementsError, circular, julian, parse_tle, to_satrec
from exercises.orbits.messages import (
    CdmData,
    CdmObject,
    MessageError,
    cdm_kvn,
    cdm_xml,
    omm_kvn,
    omm_xml,
    parse_cdm,
    parse_omm,
    relative_state_rtn,
)

TCA = datetime(2031, 2, 15, 3, 4, 5, 123456, tzinfo=UTC)


def _conjunction() -> CdmData:
    primary = CdmObject(
        object_designator="99001",
        object_name="ALLIED-SAT 7",
        international_designator="2029-014A",
        position_km=(6878.137, 12.5, -3.25),
        velocity_km_s=(0.001, 7.612345678901, 0.5),
        covariance_rtn=[[2500.0, 10.0, 1.5], [10.0, 90000.0, -20.0], [1.5, -20.0, 1600.0]],
        object_type="PAYLOAD",
        operator_organization="USSF",
        maneuverable="YES",
        velocity_covariance_rtn=[[0.04, 0.001, 0.0], [0.001, 0.0025, 0.0], [0.0, 0.0, 0.01]],
        position_velocity_covariance_rtn=[[-1.5, 0.25, 0.0], [0.125, -3.0, 0.0], [0.0, 0.0, 0.5]],
    )
    secondary = CdmObject(
        object_designator="99901",
        object_name="KARSLAND DEB",
        international_designator="2031-002C",
        position_km=(6878.2, 12.4, -3.2),
        velocity_km_s=(0.2, -7.5, 0.6),
        covariance_rtn=np.diag([200.0, 1200.0, 150.0]) ** 2,
        object_type="DEBRIS",
        covariance_method="DEFAULT",
    )
    return CdmData(
        message_id="CONJUNCTION-ALPHA-0001",
        originator="CSPOC",
        creation_date=datetime(2031, 2, 14, 8, 0, tzinfo=UTC),
        tca=TCA,
        miss_distance_m=123.456,
        relative_speed_m_s=15123.4,
        relative_position_rtn_m=(10.0, -100.0, 70.0),
        relative_velocity_rtn_m_s=(1.0, -15000.0, 100.0),
        start_screen_period=TCA - timedelta(days=1),
        stop_screen_period=TCA + timedelta(days=2),
        collision_probability=1.234e-4,
        collision_probability_method="FOSTER-1992",
        object1=primary,
        object2=secondary,
    )


# ---------------------------------------------------------------- CDM round trips


@pytest.mark.parametrize("write", [cdm_kvn, cdm_xml], ids=["kvn", "xml"])
def test_cdm_round_trip_keeps_every_field(write):
    data = _conjunction()
    assert parse_cdm(write(data)) == data


@pytest.mark.parametrize("write, reader", [(cdm_kvn, NdmKvnIo), (cdm_xml, NdmXmlIo)], ids=["kvn", "xml"])
def test_cdm_numbers_as_ccsds_ndm_reads_them(write, reader):
    data = _conjunction()
    model = reader().from_string(write(data))
    assert isinstance(model, Cdm)
    relative = model.body.relative_metadata_data
    assert relative.tca == "2031-02-15T03:04:05.123456"
    assert relative.miss_distance.value == data.miss_distance_m
    assert relative.relative_speed.value == data.relative_speed_m_s
    assert relative.collision_probability == data.collision_probability
    assert relative.collision_probability_method == "FOSTER-1992"
    state = relative.relative_state_vector
    assert [state.relative_position_r.value, state.relative_position_t.value, state.relative_position_n.value] == list(
        data.relative_position_rtn_m
    )
    assert [state.relative_velocity_r.value, state.relative_velocity_t.value, state.relative_velocity_n.value] == list(
        data.relative_velocity_rtn_m_s
    )
    names = ["R", "T", "N", "RDOT", "TDOT", "NDOT"]
    for segment, obj in zip(model.body.segment, (data.object1, data.object2), strict=True):
        vector = segment.data.state_vector
        assert [vector.x.value, vector.y.value, vector.z.value] == list(obj.position_km)
        assert [vector.x_dot.value, vector.y_dot.value, vector.z_dot.value] == list(obj.velocity_km_s)
        full = obj.covariance_6x6()
        for i in range(6):
            for j in range(i + 1):
                assert getattr(segment.data.covariance_matrix, f"c{names[i]}_{names[j]}".lower()).value == full[i, j]
        assert segment.metadata.object_designator == obj.object_designator
        assert segment.metadata.object_type.value == obj.object_type
        assert segment.metadata.ref_frame.value == "EME2000"
        assert segment.metadata.ephemeris_name == "NONE"


def test_cdm_xml_is_valid_for_the_librarys_model():
    """ccsds-ndm's XML parser rejects unknown elements; xsdata warns on values it cannot convert
    (turned into errors here); and the parsed model writes back the very same document."""
    text = cdm_xml(_conjunction())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = NdmXmlIo().from_string(text)
    assert isinstance(model, Cdm)
    assert (model.id, model.version) == ("CCSDS_CDM_VERS", "1.0")
    assert len(model.body.segment) == 2
    assert NdmXmlIo().to_string(model) == text


def test_cdm_kvn_layout():
    text = cdm_kvn(_conjunction())
    lines = [line.split("=")[0].strip() for line in text.splitlines() if "=" in line]
    assert text.startswith("CCSDS_CDM_VERS")
    assert lines.count("OBJECT") == 2
    assert lines.index("TCA") < lines.index("OBJECT")
    assert "MISS_DISTANCE            = 123.456 [m]" in text
    assert NdmKvnIo().to_string(NdmKvnIo().from_string(text)) + "\n" == text


def test_cdm_kvn_with_comments_and_windows_line_endings():
    text = cdm_kvn(_conjunction()).replace("MESSAGE_ID", "COMMENT Exercise Alpha\nMESSAGE_ID").replace("\n", "\r\n")
    assert parse_cdm(text) == _conjunction()


def test_default_velocity_covariance_is_documented_placeholder():
    obj = _conjunction().object2
    assert obj.velocity_covariance_rtn == pytest.approx(np.diag([0.1**2] * 3))
    assert obj.position_velocity_covariance_rtn == ((0.0, 0.0, 0.0),) * 3


# ---------------------------------------------------------------- CDM errors


def _drop_kvn(text: str, key: str, occurrence: int = 1) -> str:
    lines = text.splitlines()
    hits = [i for i, line in enumerate(lines) if line.split("=")[0].strip() == key]
    del lines[hits[occurrence - 1]]
    return "\n".join(lines)


def _drop_xml(text: str, tag: str, occurrence: int = 1) -> str:
    lines = text.splitlines()
    hits = [
        i for i, line in enumerate(lines) if line.strip().startswith(f"<{tag}>") or line.strip().startswith(f"<{tag} ")
    ]
    del lines[hits[occurrence - 1]]
    return "\n".join(lines)


@pytest.mark.parametrize(
    "key, occurrence, field",
    [
        ("TCA", 1, "TCA"),
        ("MISS_DISTANCE", 1, "MISS_DISTANCE"),
        ("ORIGINATOR", 1, "ORIGINATOR"),
        ("X", 2, "OBJECT2 X"),
        ("CR_R", 1, "OBJECT1 CR_R"),
        ("CNDOT_NDOT", 2, "OBJECT2 CNDOT_NDOT"),
        ("REF_FRAME", 1, "OBJECT1 REF_FRAME"),
    ],
)
@pytest.mark.parametrize("fmt", ["kvn", "xml"])
def test_missing_cdm_field_is_named(fmt, key, occurrence, field):
    data = _conjunction()
    text = _drop_kvn(cdm_kvn(data), key, occurrence) if fmt == "kvn" else _drop_xml(cdm_xml(data), key, occurrence)
    with pytest.raises(MessageError) as error:
        parse_cdm(text)
    assert error.value.field == field
    assert "missing" in error.value.message


@pytest.mark.parametrize(
    "kvn_from, kvn_to, field",
    [
        ("X                        = 6878.2 [km]", "X = abc [km]", "OBJECT2 X"),
        ("MISS_DISTANCE            = 123.456 [m]", "MISS_DISTANCE = 123.456 [km]", "MISS_DISTANCE"),
        ("OBJECT_TYPE              = PAYLOAD", "OBJECT_TYPE = SPACESHIP", "OBJECT1 OBJECT_TYPE"),
        ("COLLISION_PROBABILITY    = 0.0001234", "COLLISION_PROBABILITY = 1.5", "COLLISION_PROBABILITY"),
        ("TCA                      = 2031-02-15T03:04:05.123456", "TCA = tomorrow", "TCA"),
        ("CT_T                     = 90000.0 [m**2]", "CT_T = 9e4 [m**2/s]", "OBJECT1 CT_T"),
    ],
)
def test_bad_cdm_kvn_value_is_named(kvn_from, kvn_to, field):
    text = cdm_kvn(_conjunction())
    assert kvn_from in text
    with pytest.raises(MessageError) as error:
        parse_cdm(text.replace(kvn_from, kvn_to, 1))
    assert error.value.field == field


@pytest.mark.parametrize(
    "xml_from, xml_to, field",
    [
        ('<X units="km">6878.2</X>', '<X units="km">abc</X>', "OBJECT2 X"),
        ("<OBJECT_TYPE>DEBRIS</OBJECT_TYPE>", "<OBJECT_TYPE>ASTEROID</OBJECT_TYPE>", "OBJECT2 OBJECT_TYPE"),
        ("<MANEUVERABLE>YES</MANEUVERABLE>", "<MANEUVERABLE>MAYBE</MANEUVERABLE>", "OBJECT1 MANEUVERABLE"),
    ],
)
def test_bad_cdm_xml_value_is_named(xml_from, xml_to, field):
    text = cdm_xml(_conjunction())
    assert xml_from in text
    with pytest.raises(MessageError) as error:
        parse_cdm(text.replace(xml_from, xml_to, 1))
    assert error.value.field == field


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.95])
def test_truncated_cdm_xml_gives_a_clear_error(cut):
    text = cdm_xml(_conjunction())
    with pytest.raises(MessageError) as error:
        parse_cdm(text[: int(len(text) * cut)])
    assert error.value.field == "XML"
    assert "truncated" in error.value.message


def test_truncated_cdm_kvn_names_the_first_missing_field():
    text = cdm_kvn(_conjunction())
    cut = text[: text.index("\nCT_T", text.index("OBJECT2")) + 1]
    with pytest.raises(MessageError) as error:
        parse_cdm(cut)
    assert error.value.field == "OBJECT2 CT_T"
    # cut inside a line: the line is named
    with pytest.raises(MessageError) as error:
        parse_cdm(cut + "CT_")
    assert error.value.field.startswith("line ")


def test_cdm_with_one_object_or_no_header_line():
    text = cdm_kvn(_conjunction())
    with pytest.raises(MessageError) as error:
        parse_cdm(text[: text.index("OBJECT                   = OBJECT2")])
    assert error.value.field == "OBJECT"
    with pytest.raises(MessageError) as error:
        parse_cdm(text.replace("CCSDS_CDM_VERS           = 1.0", ""))
    assert error.value.field == "CCSDS_CDM_VERS"
    with pytest.raises(MessageError) as error:
        parse_cdm("   ")
    assert error.value.field == "CDM"


def test_cdm_objects_check_their_own_fields():
    obj = _conjunction().object1
    with pytest.raises(MessageError) as error:
        replace(obj, object_type="SPACESHIP")
    assert error.value.field == "OBJECT_TYPE"
    with pytest.raises(MessageError) as error:
        replace(obj, ref_frame="TEME")
    assert error.value.field == "REF_FRAME"
    with pytest.raises(MessageError) as error:
        replace(obj, covariance_rtn=[[1.0, 2.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert error.value.field == "COVARIANCE_RTN"
    with pytest.raises(MessageError) as error:
        replace(_conjunction(), collision_probability=2.0)
    assert error.value.field == "COLLISION_PROBABILITY"


def test_relative_state_is_in_the_primarys_rtn_frame():
    r1, v1 = np.array([7000.0, 0.0, 0.0]), np.array([0.0, 7.5, 0.0])
    r2, v2 = r1 + np.array([0.1, 0.2, 0.3]), np.array([0.0, -7.5, 0.01])
    position, velocity = relative_state_rtn(r1, v1, r2, v2)
    # here RTN is x, y, z: R along r1, T along v1, N along r1 x v1
    assert rtn_basis(r1, v1) == pytest.approx(np.eye(3))
    assert position == pytest.approx((100.0, 200.0, 300.0))
    assert velocity == pytest.approx((0.0, -15000.0, 10.0))


# ---------------------------------------------------------------- OMM

EPOCH = datetime(2031, 2, 14, 12, 0, 0, 250000, tzinfo=UTC)
# two of Vallado's SGP4 verification element sets (SGP4-VER.TLE, shipped with sgp4): the TEME example
# (00005, e = 0.186) and a near-circular sun-synchronous LEO (28057)
VALLADO_TLES = {
    "00005": (
        "1 00005U 58002B   00179.78495062  .00000023  00000-0  28098-4 0  4753",
        "2 00005  34.2682 348.7242 1859667 331.7664  19.3264 10.82419157413667",
    ),
    "28057": (
        "1 28057U 03049A   06177.78615833  .00000060  00000-0  35940-4 0  1836",
        "2 28057  98.4283 247.6961 0000884  88.1964 271.9322 14.35478080140550",
    ),
}


def _elements():
    return circular(
        "ALLIED-SAT 7",
        EPOCH,
        altitude_km=550.0,
        inclination=53.2,
        ra_of_asc_node=123.4,
        mean_anomaly=77.7,
        bstar=2.1e-4,
        mean_motion_dot=1.5e-5,
        mean_motion_ddot=0.0,
        norad_cat_id=99001,
        object_id="2029-014A",
    )


@pytest.mark.parametrize("write", [omm_kvn, omm_xml], ids=["kvn", "xml"])
def test_omm_round_trip(write):
    elements = _elements()
    assert parse_omm(write(elements)) == elements
    for lines in VALLADO_TLES.values():
        tle_elements = parse_tle(*lines)
        assert parse_omm(write(tle_elements)) == tle_elements


@pytest.mark.parametrize("write, reader", [(omm_kvn, NdmKvnIo), (omm_xml, NdmXmlIo)], ids=["kvn", "xml"])
def test_omm_carries_the_sgp4_metadata_and_tle_parameters(write, reader):
    model = reader().from_string(write(_elements(), "CONJUNCTION", message_id="OMM-1"))
    assert isinstance(model, Omm)
    assert model.header.originator == "CONJUNCTION"
    metadata = model.body.segment.metadata
    assert (metadata.mean_element_theory, metadata.ref_frame, metadata.center_name, metadata.time_system) == (
        "SGP4",
        "TEME",
        "EARTH",
        "UTC",
    )
    tle = model.body.segment.data.tle_parameters
    assert (tle.ephemeris_type, tle.classification_type, tle.norad_cat_id) == (0, "U", 99001)
    assert tle.element_set_no == 999 and tle.rev_at_epoch == 0
    assert tle.bstar.value == 2.1e-4 and tle.mean_motion_dot.value == 1.5e-5 and tle.mean_motion_ddot.value == 0.0


@pytest.mark.parametrize(
    "elements",
    [_elements(), *(parse_tle(*lines) for lines in VALLADO_TLES.values())],
    ids=["circular", *VALLADO_TLES],
)
def test_omm_xml_is_accepted_by_sgp4_and_gives_the_same_states(elements):
    fields = next(sgp4_omm.parse_xml(io.StringIO(omm_xml(elements))))
    satrec = Satrec()
    sgp4_omm.initialize(satrec, fields)
    reference = to_satrec(elements)
    for hours in (0.0, 1.5, 24.0, 72.0):
        jd, fr = julian(elements.epoch + timedelta(hours=hours))
        error, r, v = satrec.sgp4(jd, fr)
        reference_error, r_ref, v_ref = reference.sgp4(jd, fr)
        assert error == reference_error == 0
        assert r == pytest.approx(r_ref, abs=1e-6)  # 1 mm: to_satrec and sgp4.omm convert units apart
        assert v == pytest.approx(v_ref, abs=1e-9)


@pytest.mark.parametrize("name", VALLADO_TLES)
def test_omm_of_a_tle_matches_sgp4s_own_reading_of_the_tle(name):
    """TLE -> MeanElements -> OMM/XML -> sgp4.omm agrees with sgp4 reading the TLE itself. The OMM's
    epoch has microsecond resolution, a few millimetres along the track: hence 1 cm."""
    fields = next(sgp4_omm.parse_xml(io.StringIO(omm_xml(parse_tle(*VALLADO_TLES[name])))))
    from_omm = Satrec()
    sgp4_omm.initialize(from_omm, fields)
    from_tle = Satrec.twoline2rv(*VALLADO_TLES[name])
    for days in (0.0, 1.0, 3.0):
        jd, fr = from_tle.jdsatepoch + days, from_tle.jdsatepochF
        assert from_omm.sgp4(jd, fr)[1] == pytest.approx(from_tle.sgp4(jd, fr)[1], abs=1e-5)


@pytest.mark.parametrize(
    "key, field",
    [("EPOCH", "EPOCH"), ("MEAN_MOTION", "MEAN_MOTION"), ("BSTAR", "BSTAR"), ("NORAD_CAT_ID", "NORAD_CAT_ID")],
)
@pytest.mark.parametrize("fmt", ["kvn", "xml"])
def test_missing_omm_field_is_named(fmt, key, field):
    text = _drop_kvn(omm_kvn(_elements()), key) if fmt == "kvn" else _drop_xml(omm_xml(_elements()), key)
    with pytest.raises(MessageError) as error:
        parse_omm(text)
    assert error.value.field == field


@pytest.mark.parametrize(
    "kvn_from, kvn_to, field",
    [
        ("REF_FRAME                = TEME", "REF_FRAME = GCRF", "REF_FRAME"),
        ("MEAN_ELEMENT_THEORY      = SGP4", "MEAN_ELEMENT_THEORY = DSST", "MEAN_ELEMENT_THEORY"),
        ("ECCENTRICITY             = 0.0001", "ECCENTRICITY = 1.5", "ECCENTRICITY"),
        ("NORAD_CAT_ID             = 99001", "NORAD_CAT_ID = 99001.5", "NORAD_CAT_ID"),
        ("INCLINATION              = 53.2 [deg]", "INCLINATION = steep [deg]", "INCLINATION"),
        ("INCLINATION              = 53.2 [deg]", "INCLINATION = 0.93 [rad]", "INCLINATION"),
    ],
)
def test_bad_omm_value_is_named(kvn_from, kvn_to, field):
    text = omm_kvn(_elements())
    assert kvn_from in text
    with pytest.raises(MessageError) as error:
        parse_omm(text.replace(kvn_from, kvn_to, 1))
    assert error.value.field == field
    assert isinstance(error.value, ElementsError)


def test_truncated_omm_xml_gives_a_clear_error():
    text = omm_xml(_elements())
    with pytest.raises(MessageError) as error:
        parse_omm(text[: len(text) // 2])
    assert error.value.field == "XML"
    assert "truncated" in error.value.message


def test_omm_without_an_international_designator_round_trips():
    elements = replace(_elements(), object_id="")
    text = omm_kvn(elements)
    assert "OBJECT_ID                = UNKNOWN" in text
    assert parse_omm(text) == elements


def test_omm_2_0_inside_an_ndm_wrapper_is_read():
    """The shape of the OMMs the public catalogue hands out: version 2.0, in a combined <ndm>."""
    elements = _elements()
    text = omm_xml(elements).replace('version="3.0"', 'version="2.0"')
    declaration, body = text.split("\n", 1)
    wrapped = f"{declaration}\n<ndm>\n{body}</ndm>\n"
    assert parse_omm(wrapped) == elements
    kvn = omm_kvn(elements).replace("CCSDS_OMM_VERS           = 3.0", "CCSDS_OMM_VERS = 2.0")
    assert parse_omm(kvn) == elements
