"""Arabic-aware names: normalisation, tokens, and a key shared by Arabic and Latin script.

Three layers, each a pure function:

1. `normalise` folds the orthographic variants of one spelling: hamza and alef forms
   (أ إ آ ٱ → ا), ta marbuta (ة → ه), alif maqsura (ى → ي), hamza seats (ؤ → و, ئ → ي),
   diacritics, tatweel, Persian letter forms, digits; Latin script is lower-cased and
   stripped of accents. Two spellings that a reader takes for the same written name
   normalise to the same string.
2. `tokens` splits a name field into names, keeping compounds together (عبد الله,
   أبو بكر, نور الدين; Abdul Rahman, Abu Bakr, Nour Eddine) and setting the family
   article apart (الجبوري, Al-Jubouri → article + جبوري).
3. `skeleton` reduces a token, of either script, to the consonants a listener hears,
   in classes that absorb what transliteration blurs (ط/ت, ص/س, ق/ك/خ, ض/ذ/ظ/د, ح/ه;
   kh, q, k, c; th, dh; sh, ch; ou, ee, ...). Long vowels, ع and hamza leave no trace,
   so ابراهيم, ابرهيم and Ibraheem share `BRHM`, and محمد, Mohammed and Muhammad share
   `MHMD`. Skeletons are for finding candidates and for comparing across scripts; they
   are deliberately coarse, and the comparisons weigh them with the finer normalised forms.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# -- 1. normalisation ---------------------------------------------------------------------

_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_ARABIC_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ٲ": "ا",
        "ٳ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ی": "ي",  # Persian yeh
        "ې": "ي",
        "ئ": "ي",
        "ؤ": "و",
        "ک": "ك",  # Persian keheh
        "گ": "ك",
        "پ": "ب",
        "چ": "ج",
        "ڤ": "ف",
        "ژ": "ز",
        "ۀ": "ه",
        "ہ": "ه",
        "ھ": "ه",
        "\u0640": None,  # tatweel
        "\u200c": None,  # zero-width non-joiner
        "\u200d": None,
        "\u200f": None,
        "\u200e": None,
        "ء": None,  # a bare hamza is dropped as often as it is written
        "٠": "0",
        "١": "1",
        "٢": "2",
        "٣": "3",
        "٤": "4",
        "٥": "5",
        "٦": "6",
        "٧": "7",
        "٨": "8",
        "٩": "9",
    }
)
_ARABIC_LETTER = re.compile("[\u0621-\u064a]")
_SEPARATORS = re.compile(r"[\s\-_.,;:/\\()\[\]\"]+")
# In Latin script an apostrophe stands for ع or hamza inside a name (Sa'id, Ma'mun).
_APOSTROPHES = re.compile("['`\u2019\u2018\u02bf\u02be\u02bc]")


def is_arabic(text: str) -> bool:
    return bool(_ARABIC_LETTER.search(text or ""))


def normalise(text: str | None) -> str:
    """One spelling per written name, in either script; names separated by one space."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _DIACRITICS.sub("", text).translate(_ARABIC_FOLD)
    if not is_arabic(text):
        text = "".join(
            c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
        ).lower()
    text = _APOSTROPHES.sub("", text)
    return " ".join(_SEPARATORS.sub(" ", text).split())


# -- 2. tokens ------------------------------------------------------------------------------

_AR_ARTICLE = "ال"
# Latin spellings of the article, the sun-letter assimilations included (ash-Shammari).
_LAT_ARTICLES = ("al", "el", "il", "ul", "an", "ar", "as", "ash", "at", "ad", "az", "adh", "ath")
_AR_ABD = ("عبد", "عبدال")
_LAT_ABD = ("abd", "abdul", "abdel", "abdal", "abdol", "abdil", "abdu", "abed", "abdi")
_AR_KUNYA = ("ابو", "ام", "ابن", "بن", "بنت")
_LAT_KUNYA = ("abu", "abou", "abo", "umm", "um", "om", "ibn", "bin", "ben", "bint")
# Second halves of compound given names: نور الدين, صلاح الدين, عبد الله, ...
_AR_SECOND = ("الدين", "الله", "الهدى", "الرحمن", "الرحيم", "الاسلام", "الزمان")
_LAT_SECOND = (
    "din", "deen", "eddin", "eddine", "uddin", "aldin", "aldeen", "addin", "eldin",
    "allah", "ullah", "alla", "ullah", "huda", "elhuda", "alhuda",
)  # fmt: skip


def _merge_compounds(parts: list[str], arabic: bool) -> list[str]:
    out: list[str] = []
    i = 0
    abd, kunya, second = (
        (_AR_ABD, _AR_KUNYA, _AR_SECOND) if arabic else (_LAT_ABD, _LAT_KUNYA, _LAT_SECOND)
    )
    while i < len(parts):
        part = parts[i]
        nxt = parts[i + 1] if i + 1 < len(parts) else None
        if nxt is not None and (part in abd or part in kunya):
            # عبد + الرحمن, abdul + rahman, abd + al + rahman, abu + bakr
            if not arabic and nxt in _LAT_ARTICLES and i + 2 < len(parts):
                out.append(part + nxt + parts[i + 2])
                i += 3
                continue
            out.append(part + nxt)
            i += 2
            continue
        if not arabic and part in ("al", "el") and nxt is not None and nxt not in second:
            # "Al Hassan" written apart is one name, as الحسن is
            out.append(part + nxt)
            i += 2
            continue
        if out and part in second and not (arabic and out[-1].startswith(_AR_ARTICLE)):
            out[-1] = out[-1] + part
        elif out and not arabic and part in _LAT_ARTICLES and nxt is not None and nxt in second:
            out[-1] = out[-1] + part + nxt
            i += 2
            continue
        else:
            out.append(part)
        i += 1
    return out


def tokens(text: str | None) -> list[str]:
    """The names in a field, compounds kept together: "عبد الله" → ["عبدالله"]."""
    return list(_tokens(text or ""))


@lru_cache(maxsize=500_000)
def _tokens(text: str) -> tuple[str, ...]:
    normal = normalise(text)
    if not normal:
        return ()
    return tuple(_merge_compounds(normal.split(" "), is_arabic(normal)))


def strip_article(token: str) -> str:
    """الجبوري → جبوري, al-jubouri → jubouri (normalised tokens)."""
    if token.startswith(_AR_ARTICLE) and len(token) > 3:
        return token[2:]
    for article in _LAT_ARTICLES:
        if token.startswith(article) and len(token) > len(article) + 2:
            rest = token[len(article) :]
            if article in ("al", "el") or rest[:1] == article[-1]:
                return rest
    return token


def family_tokens(text: str | None) -> list[str]:
    """Family names without their article: "Al Jubouri" and "الجبوري" both → one token."""
    return list(_family_tokens(text or ""))


@lru_cache(maxsize=500_000)
def _family_tokens(text: str) -> tuple[str, ...]:
    parts = tokens(text)
    if not is_arabic(" ".join(parts)):
        # "al jubouri" written apart
        joined: list[str] = []
        skip = False
        for index, part in enumerate(parts):
            if skip:
                skip = False
                continue
            if part in _LAT_ARTICLES and index + 1 < len(parts):
                joined.append(parts[index + 1])
                skip = True
            else:
                joined.append(part)
        parts = joined
    return tuple(strip_article(p) for p in parts)


# -- 3. skeletons ---------------------------------------------------------------------------

_AR_CLASSES = {
    "ب": "B",
    "ت": "T",
    "ط": "T",
    "ث": "T",
    "ج": "J",
    "ح": "H",
    "ه": "H",
    "خ": "K",
    "ق": "K",
    "ك": "K",
    "د": "D",
    "ذ": "D",
    "ض": "D",
    "ظ": "D",
    "ر": "R",
    "ز": "Z",
    "س": "S",
    "ص": "S",
    "ش": "X",
    "غ": "G",
    "ف": "F",
    "ل": "L",
    "م": "M",
    "ن": "N",
}
# Latin letter groups, longest first.
_LAT_GROUPS = [
    ("kh", "K"),
    ("sh", "X"),
    ("ch", "X"),
    ("sch", "X"),
    ("th", "T"),
    ("dh", "D"),
    ("gh", "G"),
    ("ph", "F"),
    ("dj", "J"),
    ("ck", "K"),
    ("ou", ""),
    ("ee", ""),
    ("oo", ""),
    ("aa", ""),
]
_LAT_SINGLE = {
    "b": "B",
    "p": "B",
    "t": "T",
    "j": "J",
    "g": "J",
    "h": "H",
    "k": "K",
    "q": "K",
    "c": "K",
    "d": "D",
    "r": "R",
    "z": "Z",
    "s": "S",
    "f": "F",
    "v": "F",
    "l": "L",
    "m": "M",
    "n": "N",
    "x": "KS",
}


_AR_COMPOUND_PREFIXES = ("عبد", "ابو", "ابن", "ام", "بن")


def _arabic_skeleton(token: str) -> list[str]:
    # Long vowels (ا و ي), ع and hamza leave no trace, but و and ي begin names as consonants.
    token = token.replace("تش", "ش")  # foreign "ch" written تش
    for prefix in _AR_COMPOUND_PREFIXES:
        if token.startswith(prefix + "ال") and len(token) > len(prefix) + 3:
            token = prefix + token[len(prefix) + 2 :]  # عبدالرحمن → عبدرحمن
            break
    else:
        for second in _AR_SECOND:
            if token.endswith(second) and len(token) > len(second) + 1:
                token = token[: -len(second)] + second[2:]  # نورالدين → نوردين
                break
    out = []
    for index, char in enumerate(token):
        if index == 0 and char == "و":
            out.append("W")
        elif index == 0 and char == "ي":
            out.append("Y")
        elif char in _AR_CLASSES:
            out.append(_AR_CLASSES[char])
    return out


# The article inside a compound is assimilated or dropped as often as it is written
# (Nour Eddine, Nureddin, Nour al-Din; Abdurrahman, Abdul Rahman): skeletons leave it out.
_LAT_ABDULLAH = re.compile(r"^abd[aeiou]?ll?ah?$")
_LAT_INNER_ARTICLE = re.compile(r"^(abd|abu|abou|abo)(?:ul|el|al|ol|il|u|e)?l?(?=[a-z]{2})")
_LAT_DIN = re.compile(r"(?<=[a-z]{2})(?:al|el|ul|ed|ud|ad|e|u)?d?(din|deen|dine)$")


def _latin_skeleton(token: str) -> list[str]:
    token = _LAT_ABDULLAH.sub("abdla", token)
    token = _LAT_INNER_ARTICLE.sub(r"\1", token)
    token = _LAT_DIN.sub(r"\1", token)
    out = []
    index = 0
    while index < len(token):
        for group, sound in _LAT_GROUPS:
            if token.startswith(group, index):
                if sound:
                    out.append(sound)
                index += len(group)
                break
        else:
            char = token[index]
            if index == 0 and char in "wy":
                out.append(char.upper())
            elif char in _LAT_SINGLE:
                out.append(_LAT_SINGLE[char])
            index += 1
    return out


@lru_cache(maxsize=200_000)
def skeleton(token: str) -> str:
    """The consonant skeleton of one normalised token, the same for both scripts."""
    if not token:
        return ""
    classes = _arabic_skeleton(token) if is_arabic(token) else _latin_skeleton(token)
    collapsed: list[str] = []
    for sound in classes:
        if not collapsed or collapsed[-1] != sound:
            collapsed.append(sound)
    # A final ه/h is the ta marbuta or an ending transliterations drop (Fatima/فاطمة,
    # Abdulla/عبدالله): it does not count.
    if len(collapsed) >= 2 and collapsed[-1] == "H":
        collapsed.pop()
    return "".join(collapsed)


# Coarse classes for comparing across scripts, where transliteration blurs more:
# ظ is z in Syria and dh in Iraq (Kazim, Kadhim), ق is q, k or g, ج is j or g.
_COARSE = str.maketrans({"Z": "D", "T": "D", "G": "K", "J": "K", "X": "S", "W": "", "Y": ""})


def coarse(skeleton_key: str) -> str:
    """A skeleton with the classes transliteration confuses merged."""
    collapsed: list[str] = []
    for sound in skeleton_key.translate(_COARSE):
        if not collapsed or collapsed[-1] != sound:
            collapsed.append(sound)
    return "".join(collapsed)


def name_skeleton(text: str | None) -> str:
    """Skeletons of every token of a field, space-separated."""
    return " ".join(s for s in (skeleton(t) for t in tokens(text)) if s)


def family_skeleton(text: str | None) -> str:
    return " ".join(s for s in (skeleton(t) for t in family_tokens(text)) if s)
