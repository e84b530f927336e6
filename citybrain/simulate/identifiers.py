"""National identifiers: 18-digit citizen ID (GB 11643), USCC (GB 32100), org code (GB 11714).

Generators are vectorised over numpy arrays (a city has a million people); validators are
scalar and used by tests and by the truth checks other domains run.
"""

from __future__ import annotations

import numpy as np

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = "10X98765432"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 chars: no I, O, Z, S, V
USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
MOBILE_PREFIXES = np.array(
    [130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 147, 150, 151, 152, 153, 155, 156,
     157, 158, 159, 166, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189,
     191, 198, 199],
    dtype=np.int64,
)


def digits_to_str(digits: np.ndarray) -> np.ndarray:
    """Turn an (n, k) array of code points (digits 0-9 or ASCII) into a numpy str array."""
    arr = np.where(digits < 10, digits + 48, digits).astype(np.uint8)
    k = arr.shape[1]
    return np.ascontiguousarray(arr).view(f"S{k}").ravel().astype(f"U{k}")


def int_digits(values: np.ndarray, width: int) -> np.ndarray:
    """Digits (most significant first) of non-negative ints, zero-padded to ``width``."""
    out = np.empty((len(values), width), dtype=np.int64)
    v = values.astype(np.int64).copy()
    for i in range(width - 1, -1, -1):
        out[:, i] = v % 10
        v //= 10
    return out


def id_card_numbers(region: np.ndarray, birth: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """18-digit ID numbers from region code, birth date (datetime64[D]) and 3-digit sequence.

    The sequence's last digit carries sex (odd = male); the caller picks it.
    """
    body = region.astype(np.int64) * 10**11 + _ymd_int(birth) * 1000 + seq.astype(np.int64)
    d = int_digits(body, 17)
    check = (d * ID_WEIGHTS).sum(axis=1) % 11
    check_cp = np.frombuffer(ID_CHECK.encode(), dtype=np.uint8)[check].astype(np.int64)
    return digits_to_str(np.concatenate([d, check_cp[:, None]], axis=1))


def _ymd_int(birth: np.ndarray) -> np.ndarray:
    """YYYYMMDD ints from datetime64[D], vectorised."""
    b = birth.astype("datetime64[D]")
    y = b.astype("datetime64[Y]").astype(np.int64) + 1970
    m = b.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (b - b.astype("datetime64[M]")).astype(np.int64) + 1
    return y * 10000 + m * 100 + day


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(c) * int(w) for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def valid_id_card(value: str) -> bool:
    """True for a well-formed 18-digit ID with a correct check character and real date."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    if value[17] != id_check_char(value[:17]):
        return False
    try:
        np.datetime64(f"{value[6:10]}-{value[10:12]}-{value[12:14]}", "D")
    except ValueError:
        return False
    return True


def to_legacy_15(value: str) -> str:
    """The first-generation 15-digit form: no century, no check character."""
    return value[:6] + value[8:17]


def break_id_checksum(value: str) -> str:
    """Same number with a check character that is wrong (deterministic choice)."""
    right = ID_CHECK.index(value[17])
    return value[:17] + ID_CHECK[(right + 3) % 11]


def org_code_check(body: str) -> str:
    """GB 11714 check character for an 8-character organisation code body."""
    total = sum(_org_value(c) * int(w) for c, w in zip(body, ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "0" if c == 11 else "X" if c == 10 else str(c)


def _org_value(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def uscc_check(first17: str) -> str:
    """GB 32100 check character over the 31-character alphabet."""
    total = sum(USCC_ALPHABET.index(c) * int(w)
                for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def valid_uscc(value: str) -> bool:
    """True for an 18-character USCC whose org code and final check both hold."""
    if len(value) != 18 or any(c not in USCC_ALPHABET for c in value):
        return False
    if not value[2:8].isdigit():
        return False
    if org_code_check(value[8:16]) != value[16]:
        return False
    return uscc_check(value[:17]) == value[17]


def break_uscc_checksum(value: str) -> str:
    """Same code with a wrong final check character."""
    i = USCC_ALPHABET.index(value[17])
    return value[:17] + USCC_ALPHABET[(i + 7) % 31]


def uscc_codes(rng: np.random.Generator, admin: np.ndarray, new_style: np.ndarray,
               org_type: np.ndarray) -> np.ndarray:
    """Unified social credit codes for companies.

    ``new_style`` companies (registered from 2015) get an org code starting ``MA`` as the
    real ones do; older ones an all-digit code. Registration dept is 9 (market regulation).
    """
    n = len(admin)
    alpha_vals = np.array([_org_value(c) for c in USCC_ALPHABET], dtype=np.int64)
    alpha_cp = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8).astype(np.int64)
    # index into the 31-char alphabet for each of the 8 body chars
    body_idx = rng.integers(0, 10, size=(n, 8))
    letters = rng.integers(0, 31, size=(n, 6))
    ma = np.array([USCC_ALPHABET.index("M"), USCC_ALPHABET.index("A")])
    body_idx[new_style, :2] = ma
    body_idx[new_style, 2:] = letters[new_style]
    org_sum = (alpha_vals[body_idx] * ORG_WEIGHTS).sum(axis=1)
    c9 = 11 - org_sum % 11
    c9_idx = np.where(c9 == 11, 0, np.where(c9 == 10, USCC_ALPHABET.index("X"), c9))
    admin_idx = int_digits(admin, 6)
    head = np.stack([np.full(n, 9), org_type.astype(np.int64)], axis=1)
    idx17 = np.concatenate([head, admin_idx, body_idx, c9_idx[:, None]], axis=1)
    check = (31 - (idx17 * USCC_WEIGHTS).sum(axis=1) % 31) % 31
    idx18 = np.concatenate([idx17, check[:, None]], axis=1)
    cp = alpha_cp[idx18]
    return np.ascontiguousarray(cp.astype(np.uint8)).view("S18").ravel().astype("U18")


def mobile_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """11-digit mainland mobile numbers with real carrier prefixes."""
    prefix = rng.choice(MOBILE_PREFIXES, size=n)
    rest = rng.integers(0, 10**8, size=n)
    return digits_to_str(int_digits(prefix * 10**8 + rest, 11))


def valid_mobile(value: str) -> bool:
    """Plausible mainland mobile: 11 digits with a known prefix."""
    return len(value) == 11 and value.isdigit() and int(value[:3]) in set(MOBILE_PREFIXES.tolist())
