"""A generated corpus of messy source headers through the SR writer.

Each file carries one quirk met in hospital archives; each has its expected
outcome: an SR with the named values repaired or dropped (and a warning
naming each), an SR in a new study, or no SR with the reason. Every SR is
then checked by dcmtk's dsrdump, dicom3tools' dciodvfy and OHIF's SR
reader.
"""
import warnings
from contextlib import contextmanager

import numpy as np
import pydicom
import pytest
from _sr_cases import finding_dict, result_dict
from _tools import check_ohif, check_sr, ohif_hydrate
from pydicom import config
from pydicom.uid import ExplicitVRBigEndian, ImplicitVRLittleEndian

from mmspine.dicom import build_dataset, write_legacy_dicom
from mmspine.dicom.sanitize import HeaderRepairWarning, clean_value
from mmspine.dicom.sr import read_findings_sr, write_findings_sr

ROWS, COLUMNS = 80, 56
FINDINGS = [
    finding_dict('Osteophytes', 0.91, [1.25, 2.5, 20.1, 30.7]),
    finding_dict('Kyphosis', 0.4, [10.0, 12.0, 40.0, 60.0]),
]
LONG_UID = '1.2.826.0.1.3680043.8.498.' + '1234567890' * 5  # 76 chars
HEX_UID = '1.2.840.113619.2.55.3.604688119.96f.1234567890.1ab'


def _set(**values):
    return lambda ds: [setattr(ds, k, v) for k, v in values.items()]


def _delete(*keywords):
    return lambda ds: [delattr(ds, k) for k in keywords]


def _retired_and_private(ds):
    ds.add_new(0x00080040, 'US', 1)  # Data Set Type (retired)
    ds.add_new(0x00200070, 'LO', 'IMAGE GEOMETRY')  # (retired)
    block = ds.private_block(0x0029, 'ACME 1.0', create=True)
    block.add_new(0x01, 'LO', 'vendor secret')
    block.add_new(0x02, 'OB', b'\x00\x01\x02\x03')


def _deidentified_without_method(ds):
    ds.PatientIdentityRemoved = 'YES'
    item = pydicom.Dataset()
    item.CodeValue, item.CodingSchemeDesignator = '113100', 'DCM'
    ds.DeidentificationMethodCodeSequence = [item]  # no Code Meaning


# name -> (change of the header, how it is written, expected outcome).
# Outcomes: ('sr', {keyword: value in the SR, None = absent}, {keywords
# warned}) or ('new study', {}, {keywords}) or ('refused', match).
CORPUS = {
    'clean': (None, 'explicit', ('sr', {}, set())),
    'tm_with_colons': (_set(StudyTime='11:27:24'), 'explicit',
                       ('sr', dict(StudyTime='112724'), {'StudyTime'})),
    'da_hash': (_set(StudyDate='a3f9c2d1'), 'explicit',
                ('sr', dict(StudyDate=''), {'StudyDate'})),
    'da_year_0': (_set(PatientBirthDate='00000101'), 'explicit',
                  ('sr', dict(PatientBirthDate=''), {'PatientBirthDate'})),
    'da_acr_nema': (_set(StudyDate='2019.07.31'), 'explicit',
                    ('sr', dict(StudyDate='20190731'), {'StudyDate'})),
    'sex_0000': (_set(PatientSex='0000'), 'explicit',
                 ('sr', dict(PatientSex=''), {'PatientSex'})),
    'empty_charset': (_set(SpecificCharacterSet=''), 'explicit',
                      ('sr', {}, {'SpecificCharacterSet'})),
    'code_extension_alone': (_set(SpecificCharacterSet='ISO 2022 IR 100'),
                             'explicit', ('sr', {}, {'SpecificCharacterSet'})),
    'unknown_charset': (_set(SpecificCharacterSet='ISO_IR 999'), 'explicit',
                        ('sr', {}, {'SpecificCharacterSet'})),
    'latin1_name':
    (_set(SpecificCharacterSet='ISO_IR 100', PatientName='Müller^Jürgen'),
     'explicit', ('sr', dict(PatientName='Müller^Jürgen'), set())),
    'utf8_name': (_set(SpecificCharacterSet='ISO_IR 192', PatientName='山田^太郎'),
                  'explicit', ('sr', dict(PatientName='山田^太郎'), set())),
    'pn_too_many_components':
    (_set(PatientName='Doe^John^A^Dr^Jr^III^IV'), 'explicit',
     ('sr', dict(PatientName='Doe^John^A^Dr^Jr III IV'), {'PatientName'})),
    'as_without_unit': (_set(PatientAge='45'), 'explicit',
                        ('sr', dict(PatientAge=None), {'PatientAge'})),
    'dt_invalid': (_set(AcquisitionDateTime='yesterday'), 'explicit',
                   ('sr', dict(AcquisitionDateTime=None), set())),
    'lo_too_long': (_set(StudyDescription='SPINE ' * 14), 'explicit',
                    ('sr', dict(StudyDescription=('SPINE ' * 11)[:64].strip()),
                     {'StudyDescription'})),
    'lo_control_chars':
    (_set(StudyDescription='L-SPINE\x01AP'), 'explicit',
     ('sr', dict(StudyDescription='L-SPINE AP'), {'StudyDescription'})),
    'accession_too_long':
    (_set(AccessionNumber='A' * 20), 'explicit',
     ('sr', dict(AccessionNumber=''), {'AccessionNumber'})),
    'deidentified_without_method':
    (_deidentified_without_method,
     'explicit', ('sr',
                  dict(
                      PatientIdentityRemoved=None,
                      DeidentificationMethodCodeSequence=None),
                  {'PatientIdentityRemoved'})),
    'no_patient_id_name': (_delete('PatientID', 'PatientName'), 'explicit',
                           ('sr', dict(PatientID='', PatientName=''), set())),
    'retired_and_private': (_retired_and_private, 'explicit',
                            ('sr', dict(DataSetType=None), set())),
    'private_sop_class': (_set(SOPClassUID='1.2.840.113619.4.30'), 'explicit',
                          ('refused',
                           'SOP class 1.2.840.113619.4.30 is private')),
    'hex_study_uid': (_set(StudyInstanceUID=HEX_UID), 'explicit',
                      ('sr', dict(StudyInstanceUID=HEX_UID), set())),
    'long_series_uid': (_set(SeriesInstanceUID=LONG_UID), 'explicit',
                        ('sr', {}, set())),
    'no_study_uid': (_delete('StudyInstanceUID'), 'explicit',
                     ('new study', {}, {'StudyInstanceUID'})),
    'no_series_uid': (_delete('SeriesInstanceUID'), 'explicit',
                      ('sr', {}, {'SeriesInstanceUID'})),
    'no_sop_instance_uid': (_delete('SOPInstanceUID'), 'explicit',
                            ('refused', 'source has no SOPInstanceUID')),
    'implicit_vr': (None, 'implicit', ('sr', {}, set())),
    'big_endian': (_set(StudyTime='08:15'), 'big endian',
                   ('sr', dict(StudyTime='0815'), {'StudyTime'})),
    'legacy_no_preamble': (_set(PatientSex='X'), 'legacy',
                           ('sr', dict(PatientSex=''), {'PatientSex'})),
}


@contextmanager
def _lenient():
    """Let pydicom write what hospital archives hold."""
    saved = (config.settings.writing_validation_mode,
             config.settings.reading_validation_mode)
    config.settings.writing_validation_mode = config.IGNORE
    config.settings.reading_validation_mode = config.IGNORE
    try:
        yield
    finally:
        (config.settings.writing_validation_mode,
         config.settings.reading_validation_mode) = saved


def _write_source(path, change, how):
    rng = np.random.default_rng(0)
    ds = build_dataset(rng.integers(0, 4096, (ROWS, COLUMNS), np.uint16))
    if change is not None:
        change(ds)
    with _lenient(), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        if how == 'legacy':
            write_legacy_dicom(path, ds)
        elif how == 'implicit':
            ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
            ds.save_as(path, implicit_vr=True, little_endian=True)
        elif how == 'big endian':
            ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
            ds.PixelData = ds.pixel_array.byteswap().tobytes()
            pydicom.dcmwrite(
                path,
                ds,
                implicit_vr=False,
                little_endian=False,
                force_encoding=True)
        else:
            ds.save_as(path, enforce_file_format=True)
    return ds


@pytest.fixture(scope='module')
def corpus(tmp_path_factory):
    """Each source of :data:`CORPUS` through the SR writer: name ->
    (source dataset, SR path or the error, warnings)."""
    tmp = tmp_path_factory.mktemp('corpus')
    out = {}
    for name, (change, how, _) in CORPUS.items():
        src = str(tmp / f'{name}.dcm')
        ds = _write_source(src, change, how)
        # the result of a source with the UIDs it has
        full = pydicom.Dataset()
        for keyword in ('StudyInstanceUID', 'SeriesInstanceUID',
                        'SOPInstanceUID', 'SOPClassUID'):
            setattr(full, keyword, ds.get(keyword))
        result = result_dict(full, FINDINGS)
        sr_path = str(tmp / 'sr' / f'{name}.dcm')
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            try:
                write_findings_sr(src, result, sr_path)
                made = sr_path
            except ValueError as e:
                made = e
        repairs = [
            str(w.message) for w in caught
            if issubclass(w.category, HeaderRepairWarning)
        ]
        out[name] = (ds, result, made, repairs)
    return out


@pytest.mark.parametrize('name', list(CORPUS))
def test_each_source_has_its_outcome(corpus, name):
    ds, result, made, repairs = corpus[name]
    expected = CORPUS[name][2]
    if expected[0] == 'refused':
        assert isinstance(made, ValueError)
        assert expected[1] in str(made) and f'{name}.dcm' in str(made)
        return
    assert isinstance(made, str), made
    kind, values, warned = expected
    # each repair names the file, the attribute and the value found
    assert {r.split(': ', 1)[1].split(' ', 1)[0] for r in repairs} == warned
    assert all(
        r.startswith(CORPUS and f'{made.rsplit("/sr/", 1)[0]}/{name}')
        for r in repairs)
    sr = pydicom.dcmread(made)
    for keyword, value in values.items():
        if value is None:
            assert keyword not in sr
        else:
            assert sr[keyword].value == value, keyword
    read = read_findings_sr(made)
    assert [f['lesion_type'] for f in read['findings']] == \
        ['Osteophytes', 'Kyphosis']
    assert read['referenced_sop_instance_uids'] == [ds.SOPInstanceUID]
    (study, ) = sr.CurrentRequestedProcedureEvidenceSequence
    (ref, ) = study.ReferencedSeriesSequence[0].ReferencedSOPSequence
    # the source's SOP class, private or not, as it is
    assert ref.ReferencedSOPClassUID == ds.SOPClassUID
    if kind == 'new study':
        assert sr.StudyInstanceUID not in (None, '')
        assert study.StudyInstanceUID == sr.StudyInstanceUID
    else:
        assert sr.StudyInstanceUID == ds.StudyInstanceUID
    assert sr.SOPClassUID == '1.2.840.10008.5.1.4.1.1.88.33'


def test_every_corpus_sr_passes_the_checkers(corpus):
    """dsrdump and dciodvfy on each SR; dciodvfy may object only to the
    source UIDs the SR must reference as they are."""
    for name, (ds, _, made, _) in corpus.items():
        if isinstance(made, str):
            bad = {
                k: str(ds[k].value)
                for k in ('StudyInstanceUID', 'SeriesInstanceUID',
                          'SOPInstanceUID', 'SOPClassUID')
                if k in ds and clean_value(k, ds[k].value)[1]
            }
            assert bool(bad) == (name in ('hex_study_uid', 'long_series_uid'))
            check_sr(made, list(bad.values()), list(bad))


def test_ohif_reader_loads_every_corpus_sr(corpus):
    made = {n: v for n, v in corpus.items() if isinstance(v[2], str)}
    loaded = ohif_hydrate([v[2] for v in made.values()])
    for (name, (_, result, _, _)), got in zip(made.items(), loaded):
        check_ohif(got, result)


@pytest.mark.parametrize('keyword,value,expected', [
    ('StudyDate', '20200230', None),
    ('StudyDate', '2020-02-03', '20200203'),
    ('StudyTime', '2460', None),
    ('StudyTime', '101010.1234567', None),
    ('StudyTime', '101010.123', '101010.123'),
    ('AcquisitionDateTime', '20200102101010+0100', '20200102101010+0100'),
    ('AcquisitionDateTime', '20201302', None),
    ('PatientAge', '4Y', '004Y'),
    ('PatientSex', 'f', None),
    ('PatientID', 'x' * 65, None),
    ('PatientName', 'A=B=C=D', None),
    # 64 characters per component group, not per component
    ('PatientName', 'A' * 40 + '^' + 'B' * 40, 'A' * 40 + '^' + 'B' * 23),
    ('PatientName', 'Doe^John', 'Doe^John'),
    ('Modality', 'DX', 'DX'),
])
def test_clean_value(keyword, value, expected):
    new, reason = clean_value(keyword, value)
    assert new == expected
    assert bool(reason) == (new != value)
