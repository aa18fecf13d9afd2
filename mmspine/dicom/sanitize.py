"""Copy attributes from a real-world DICOM header into a DICOM we write,
repairing or dropping what does not conform.

Hospital archives hold values that pydicom reads but that strict readers
(dcmtk, dicom3tools' ``dciodvfy``) reject: a TM of ``11:27:24``, a DA that
is a hash or year 0, Patient's Sex ``0000``, person names with too many
components, an empty or unknown Specific Character Set. A value is checked
against the rules of its VR (PS3.5 6.2) and, where one exists, the defined
terms of its attribute; an invalid one is repaired when the intent is
plain (ACR-NEMA ``2020.01.31`` and ``11:27:24`` forms, a too long name) and
dropped otherwise. Identifiers are never shortened: a changed ID would name
someone else. Every change is a :class:`Repair`, which the caller reports.

Free of torch and mmdet.
"""
import datetime
import re
import warnings
from dataclasses import dataclass
from typing import Iterable, List, Optional, Tuple

from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataset import Dataset


class HeaderRepairWarning(UserWarning):
    """A value copied from a source header was repaired or dropped."""


@dataclass
class Repair:
    """One value of a source header that was not copied as it was.

    Attributes:
        keyword (str): The attribute, e.g. ``'StudyTime'``.
        value (str): The value found (its repr, shortened).
        reason (str): What is wrong with it.
        new (str, optional): The value written instead; None when dropped.
    """
    keyword: str
    value: str
    reason: str
    new: Optional[str] = None

    def __str__(self) -> str:
        tag = tag_for_keyword(self.keyword)
        name = (f'{self.keyword} ({tag >> 16:04X},{tag & 0xFFFF:04X})'
                if tag is not None else self.keyword)
        done = ('dropped' if self.new is None else f'written as {self.new!r}')
        return f'{name} {self.value}: {self.reason}; {done}'


#: Enumerated values of attributes whose defined terms are closed.
ENUMERATED = dict(
    PatientSex=('M', 'F', 'O'),
    PatientIdentityRemoved=('YES', 'NO'),
)

# Characters a string value may never hold (PS3.5 6.1.3: control
# characters other than ESC are not allowed in SH/LO/PN/CS).
_CONTROL = re.compile('[\x00-\x1a\x1c-\x1f\x7f]')
_CS = re.compile('^[A-Z0-9 _]{0,16}$')
_AS = re.compile(r'^(\d{1,3})\s*([DWMY])$')
_UI = re.compile(r'^(0|[1-9]\d*)(\.(0|[1-9]\d*))*$')
_MAX_CHARS = dict(SH=16, LO=64, CS=16, AE=16, AS=4, DA=8, UI=64, PN=64)
#: Identifiers: shortening one would name another thing.
_IDENTIFIERS = frozenset(('PatientID', 'AccessionNumber', 'StudyID'))


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + '...'


def _date(text: str) -> Tuple[Optional[str], str]:
    """A DA value, or None, and what was wrong ('' if nothing)."""
    digits = text
    if re.fullmatch(r'\d{4}[.\-/]\d{2}[.\-/]\d{2}', text):
        digits = re.sub(r'\D', '', text)  # ACR-NEMA and ISO forms
    if not re.fullmatch(r'\d{8}', digits):
        return None, 'not a date (YYYYMMDD)'
    try:
        datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None, 'date out of range'
    if int(digits[:4]) < 1800:
        # year 0, 1: placeholders, not dates (and out of dcmtk's range)
        return None, 'date out of range'
    return digits, ''


def _time(text: str) -> Tuple[Optional[str], str]:
    """A TM value, or None, and what was wrong ('' if nothing)."""
    m = re.fullmatch(r'(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?', text)
    if m:  # the ACR-NEMA form
        text = ''.join(g or '' for g in m.groups())
    m = re.fullmatch(r'(\d{2})(\d{2})?(\d{2})?(\.\d{1,6})?', text)
    if not m or (m.group(4) and not m.group(3)):
        return None, 'not a time (HHMMSS.FFFFFF)'
    hh, mm, ss = (int(g) if g else 0 for g in m.groups()[:3])
    if hh > 23 or mm > 59 or ss > 60:
        return None, 'time out of range'
    return text, ''


def _datetime(text: str) -> Tuple[Optional[str], str]:
    """A DT value, or None, and what was wrong ('' if nothing)."""
    m = re.fullmatch(
        r'(\d{4})(\d{2})?(\d{2})?(\d{2}(?:\d{2}(?:\d{2}'
        r'(?:\.\d{1,6})?)?)?)?([+-]\d{4})?', text)
    if not m:
        return None, 'not a date-time (YYYYMMDDHHMMSS.FFFFFF&ZZXX)'
    year, month, day, time, zone = m.groups()
    try:
        datetime.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return None, 'date-time out of range'
    if int(year) < 1800 or (time and _time(time)[0] is None):
        return None, 'date-time out of range'
    if zone and not (int(zone[1:3]) <= 14 and int(zone[3:]) < 60):
        return None, 'time zone out of range'
    return text, ''


def _person_name(text: str) -> Tuple[Optional[str], str]:
    """A PN value, repaired where its form is plain."""
    groups = text.split('=')
    if len(groups) > 3:
        return None, 'more than 3 component groups'
    fixed = []
    for group in groups:
        parts = group.split('^')
        if len(parts) > 5:
            # extra components: part of the last one (a name with '^')
            parts = parts[:4] + [' '.join(parts[4:])]
        # PS3.5 6.2: at most 64 characters per component group
        fixed.append('^'.join(parts).rstrip('^ ')[:64].rstrip('^ '))
    new = '='.join(fixed).rstrip('=')
    if new == text:
        return text, ''
    return new, 'not a person name (more than 5 components, or a ' \
        'component group of more than 64 characters)'


def clean_value(keyword: str, value) -> Tuple[Optional[str], str]:
    """Check one single-valued string ``value`` of attribute ``keyword``.

    Returns:
        tuple: The value to write (repaired or as it was), or None to drop
        it, and what was wrong ('' when it was valid).
    """
    vr = dictionary_VR(keyword)
    text = '' if value is None else str(value)
    if text == '':
        return '', ''
    if _CONTROL.search(text) or '\\' in text:
        if keyword in _IDENTIFIERS or vr in ('DA', 'TM', 'DT', 'UI', 'CS'):
            return None, 'control characters or a backslash'
        text = _CONTROL.sub(' ', text).replace('\\', ' ')
    text = text.strip(' ') if vr != 'UT' else text
    new, reason = text, ''
    if vr == 'DA':
        new, reason = _date(text)
    elif vr == 'TM':
        new, reason = _time(text)
    elif vr == 'DT':
        new, reason = _datetime(text)
    elif vr == 'PN':
        new, reason = _person_name(text)
    elif vr == 'AS':
        m = _AS.fullmatch(text)
        new = f'{int(m.group(1)):03d}{m.group(2)}' if m else None
        reason = 'not an age (nnnD/W/M/Y)'
    elif vr == 'CS':
        if not _CS.fullmatch(text):
            new, reason = None, 'not a code string (A-Z, 0-9, space, _)'
    elif vr == 'UI':
        if len(text) > 64 or not _UI.fullmatch(text):
            new, reason = None, 'not a UID'
    elif vr in _MAX_CHARS and len(text) > _MAX_CHARS[vr]:
        if keyword in _IDENTIFIERS:
            new = None
        else:
            new = text[:_MAX_CHARS[vr]].rstrip(' ')
        reason = f'longer than {_MAX_CHARS[vr]} characters'
    if new is not None and keyword in ENUMERATED and \
            new not in ENUMERATED[keyword]:
        new = None
        reason = f'not one of {", ".join(ENUMERATED[keyword])}'
    if new == str(value):
        return new, ''
    if not reason:
        reason = 'padding or control characters'
    return new, reason


def copy_attributes(source: Dataset,
                    keywords: Iterable[str],
                    target: Dataset,
                    repairs: List[Repair],
                    type2: Iterable[str] = ()) -> None:
    """Copy single-valued string attributes from ``source`` to ``target``,
    each through :func:`clean_value`.

    Args:
        source (Dataset): The header to copy from.
        keywords (Iterable[str]): Attributes to copy where present.
        target (Dataset): Gets the values.
        repairs (list[Repair]): Gets one :class:`Repair` per value changed
            or dropped (a dropped Type 2 attribute is written empty).
        type2 (Iterable[str]): Attributes written empty where absent or
            dropped.
    """
    type2 = set(type2)
    for keyword in keywords:
        value, problem = _read(source, keyword)
        if problem:
            repairs.append(Repair(keyword, _shown(value), problem))
            value = None
        elif value is not None:
            new, reason = clean_value(keyword, value)
            if reason:
                repairs.append(Repair(keyword, _shown(value), reason, new))
            value = new
        if value is None and keyword in type2:
            value = ''
        if value is not None:
            setattr(target, keyword, value)


def _read(source: Dataset, keyword: str):
    """The value of ``keyword`` as a string (None if absent), and a reason
    when it cannot be read as one (e.g. undecodable in its character set).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        try:
            value = source[keyword].value if keyword in source else None
        except Exception as exc:  # a value pydicom cannot convert
            return None, f'unreadable ({type(exc).__name__}: {exc})'
    if value is None:
        return None, ''
    if not isinstance(value, (str, bytes)) and hasattr(value, '__len__') \
            and not hasattr(value, 'family_name'):
        if len(value) == 0:
            return '', ''
        return _shown(list(value)), 'more than one value'
    if isinstance(value, bytes):
        return value, 'undecoded bytes'
    decode = [
        w for w in caught if 'decod' in str(w.message).lower()
        or 'encoding' in str(w.message).lower()
    ]
    if decode:
        return str(value), (f'not decodable in the source\'s character '
                            f'set ({decode[0].message})')
    return value, ''


def source_charset_note(source: Dataset) -> Optional[Repair]:
    """A :class:`Repair` for a Specific Character Set that is empty,
    unknown or a code extension without its base. The SR never copies it
    (it names its own: ASCII, Latin-1 or UTF-8); values were read with
    pydicom's fallback, Latin-1, which may not be what the source meant."""
    from pydicom.charset import python_encoding
    if 'SpecificCharacterSet' not in source:
        return None
    value = source.SpecificCharacterSet
    terms = [value] if isinstance(value, str) else list(value)
    fallback = '; its values read as Latin-1'
    if not any(t.strip() for t in terms):
        return Repair('SpecificCharacterSet', _shown(value),
                      'empty character set' + fallback)
    unknown = [t for t in terms if t.strip() not in python_encoding]
    if unknown:
        return Repair('SpecificCharacterSet', _shown(value),
                      f'unknown character set {unknown[0]!r}' + fallback)
    if len(terms) == 1 and terms[0].startswith('ISO 2022'):
        return Repair('SpecificCharacterSet', _shown(value),
                      'code extension without a base character set' + fallback)
    return None


__all__ = [
    'ENUMERATED', 'HeaderRepairWarning', 'Repair', 'clean_value',
    'copy_attributes', 'source_charset_note'
]
