"""People and households: who lives where, with valid IDs, phones and life events.

Built household-first (head, spouse, children) so surnames, ages and addresses hang together
the way a household register's do; every step is a numpy operation over all people.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from citybrain.simulate import identifiers, pools
from citybrain.simulate.config import PERIOD_END, PERIOD_START, Knobs
from citybrain.simulate.geo import Geography

START = np.datetime64(PERIOD_START.isoformat(), "D")
END = np.datetime64(PERIOD_END.isoformat(), "D")
DAYS = int((END - START).astype(int)) + 1
NAT = np.datetime64("NaT", "D")


def join_str(*parts) -> pa.Array:
    """Concatenate string/number arrays (or scalars) element-wise, fast, via Arrow."""
    arrs = []
    for p in parts:
        if isinstance(p, str):
            arrs.append(p)
        else:
            a = p if isinstance(p, pa.Array | pa.ChunkedArray) else pa.array(p)
            arrs.append(a.cast(pa.string()) if a.type != pa.string() else a)
    return pc.binary_join_element_wise(*arrs, "")


def _household_sizes(rng: np.random.Generator, n: int) -> np.ndarray:
    sizes = rng.choice([1, 2, 3, 4, 5], p=[0.20, 0.30, 0.27, 0.15, 0.08], size=n // 2 + 10)
    cum = np.cumsum(sizes)
    k = int(np.searchsorted(cum, n)) + 1
    sizes = sizes[:k].copy()
    sizes[-1] -= int(cum[k - 1] - n)
    return sizes[sizes > 0]


def _slots(rng: np.random.Generator, geo: Geography, count: int) -> np.ndarray:
    """``count`` distinct flat slot numbers over all buildings' (unit, floor, room) places."""
    cap = geo.buildings["capacity"].astype(np.int64)
    factor = max(1, int(np.ceil(count * 1.25 / cap.sum())))
    geo.buildings["capacity"] = cap * factor
    geo.buildings["floors"] = geo.buildings["floors"] * factor
    total = int(geo.buildings["capacity"].sum())
    return rng.choice(total, size=count, replace=False)


def _decode_slot(geo: Geography, slot: np.ndarray) -> tuple[np.ndarray, ...]:
    """Slot number → building index, unit (1..), room number (floor*100 + 1|2)."""
    cap = geo.buildings["capacity"]
    offsets = np.r_[0, np.cumsum(cap)]
    b = np.searchsorted(offsets, slot, side="right") - 1
    local = slot - offsets[b]
    units = geo.buildings["units"][b]
    per_unit = cap[b] // units
    unit = local // per_unit + 1
    within = local % per_unit
    room = (within // 2 + 1) * 100 + within % 2 + 1
    return b, unit, room


def address_of(geo: Geography, b: np.ndarray, unit: np.ndarray, room: np.ndarray) -> pa.Array:
    """Standard address: 区 + 路 + 号 + 楼 + 单元 + 室."""
    baddr = pa.array(geo.buildings["address"]).take(pa.array(b))
    return join_str(baddr, unit, "单元", room, "室")


def build_people(rng: np.random.Generator, knobs: Knobs, geo: Geography) -> dict[str, object]:
    """All people of the city, household by household."""
    n = knobs.scale.people
    sizes = _household_sizes(rng, n)
    h = len(sizes)
    hh = np.repeat(np.arange(h), sizes)
    first = np.r_[0, np.cumsum(sizes)[:-1]]
    role = np.arange(n) - first[hh]  # 0 head, 1 spouse, 2+ child
    hsize = sizes[hh]

    head_age = np.clip(rng.normal(46, 15, h), 22, 95).astype(np.int64)
    single = sizes == 1
    head_age[single] = np.clip(rng.normal(50, 20, single.sum()), 18, 98).astype(np.int64)
    age = head_age[hh].copy()
    sp = role == 1
    age[sp] = np.clip(age[sp] + rng.normal(-2, 3, sp.sum()).astype(np.int64), 18, 99)
    ch = role >= 2
    gap = rng.integers(22, 39, ch.sum())
    age[ch] = age[ch] - gap
    neg = ch & (age < 0)
    age[neg] = (rng.random(neg.sum()) * np.maximum(head_age[hh[neg]] - 21, 1)).astype(np.int64)
    # a child cannot be older than parent - 18: fold very old "children" down
    bad = ch & (age > head_age[hh] - 18)
    age[bad] = rng.integers(0, 10, bad.sum())

    # birth dates: age a → born in year 2023 - a; age 0 children → born during 2024
    infants = np.flatnonzero(ch & (age == 0))
    n_born = min(len(infants), round(knobs.birth_rate * n))
    born_in_period = np.zeros(n, dtype=bool)
    born_in_period[rng.choice(infants, size=n_born, replace=False)] = True
    offset = rng.integers(0, 365, n)
    year = np.datetime64("2023-01-01", "Y") - age.astype("timedelta64[Y]")
    birth = year.astype("datetime64[D]") + (offset % 365).astype("timedelta64[D]")
    birth[born_in_period] = START + rng.integers(0, DAYS, born_in_period.sum()).astype(
        "timedelta64[D]")
    # twins: second child shares the first child's birth date (and address, surname)
    twin_hh = (sizes >= 4) & (rng.random(h) < knobs.twin_rate)
    second = (role == 3) & twin_hh[hh]
    idx2 = np.flatnonzero(second)
    birth[idx2] = birth[idx2 - 1]
    twin_of = np.full(n, -1, dtype=np.int64)
    twin_of[idx2] = idx2 - 1
    twin_of[idx2 - 1] = idx2
    born_in_period = birth >= START  # a twin of a newborn is a newborn too

    male = np.empty(n, dtype=bool)
    head_male = rng.random(h) < 0.62
    male[role == 0] = head_male
    male[sp] = ~head_male[hh[sp]]
    male[ch] = rng.random(ch.sum()) < 0.515

    snames, sw = pools.surnames()
    head_sn = rng.choice(len(snames), p=sw, size=h)
    sp_sn = rng.choice(len(snames), p=sw, size=h)
    father_sn = np.where(head_male | (sizes < 2), head_sn, sp_sn)
    sn_idx = head_sn[hh].copy()
    sn_idx[sp] = sp_sn[hh[sp]]
    sn_idx[ch] = father_sn[hh[ch]]
    surname = snames[sn_idx]
    given = np.empty(n, dtype="U2")
    for is_male in (True, False):
        pool = pools.given_names(is_male)
        m = male == is_male
        given[m] = pool[rng.integers(0, len(pool), m.sum())]
    # twins need different given names
    clash = (twin_of >= 0) & (given == given[np.maximum(twin_of, 0)]) & (role == 3)
    given[clash] = np.char.add(given[clash].astype("U1"), "二")
    name = np.char.add(surname, given)

    # homes: each household a distinct room; movers also have a previous room
    move_hh = rng.random(h) < knobs.move_rate
    slots = _slots(rng, geo, h + int(move_hh.sum()))
    b, unit, room = _decode_slot(geo, slots[:h])
    pb, punit, proom = _decode_slot(geo, slots[h:])
    prev_b = np.full(h, -1)
    prev_unit = np.zeros(h, dtype=np.int64)
    prev_room = np.zeros(h, dtype=np.int64)
    prev_b[move_hh], prev_unit[move_hh], prev_room[move_hh] = pb, punit, proom
    move_date = np.full(h, NAT)
    move_date[move_hh] = START + rng.integers(0, DAYS, move_hh.sum()).astype("timedelta64[D]")
    building = b[hh]
    grid_idx = geo.buildings["grid_idx"][building]
    district_idx = geo.grids["district_idx"][grid_idx]

    # birthplace code: local district (retired codes for those born while valid), rest of
    # Shandong, or another province
    u = rng.random(n)
    region = geo.districts["code"][district_idx].astype(np.int64)
    byear = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    for cur, (old, _nm, y0, y1) in pools.RETIRED_LOCAL.items():
        m = (region == int(cur)) & (byear >= y0) & (byear <= y1) & (rng.random(n) < 0.7)
        region[m] = int(old)
    sd = (u >= knobs.local_birth_share) & (u < knobs.local_birth_share + 0.17)
    region[sd] = rng.choice(np.array(pools.SHANDONG_CODES, dtype=np.int64), size=sd.sum())
    far = u >= knobs.local_birth_share + 0.17
    region[far] = rng.choice(np.array(pools.OTHER_CODES, dtype=np.int64), size=far.sum())
    kids_local = ch & (age < 18)
    region[kids_local & (u < 0.9)] = geo.districts["code"][district_idx[kids_local & (u < 0.9)]
                                                           ].astype(np.int64)
    local_hukou = (region // 100 == 3702) | (rng.random(n) < 0.55)

    id_card = _unique_ids(rng, region, birth, male)
    phone = identifiers.mobile_numbers(rng, n)
    phone[age < 12] = ""

    # deaths: hazard rising with age, scaled to the configured crude death rate
    hazard = np.exp((age - 75) / 9.0)
    p_die = np.clip(hazard / hazard.mean() * knobs.death_rate, 0, 0.6)
    dies = (rng.random(n) < p_die) & ~born_in_period
    death = np.full(n, NAT)
    death[dies] = START + rng.integers(0, DAYS, dies.sum()).astype("timedelta64[D]")

    ethnic_names = np.array([e for e, _ in pools.ETHNIC])
    ethnic_p = np.array([p for _, p in pools.ETHNIC])
    ethnic = ethnic_names[rng.choice(len(ethnic_names), p=ethnic_p / ethnic_p.sum(), size=n)]

    address = address_of(geo, building, unit[hh], room[hh])
    # a child born after the household moved never lived at the previous home
    mover = move_hh[hh] & (birth < move_date[hh])
    prev_address = address_of(geo, np.maximum(prev_b[hh], 0), np.maximum(prev_unit[hh], 1),
                              np.maximum(prev_room[hh], 101))
    prev_address = pc.if_else(pa.array(mover), prev_address, pa.scalar("", pa.string()))
    return {
        "person_id": np.char.add("P", np.char.zfill(np.arange(1, n + 1).astype(str), 8)),
        "name": name, "surname": surname, "given": given, "male": male, "birth": birth,
        "born_in_period": born_in_period, "twin_of": twin_of, "age": age, "region": region,
        "id_card": id_card, "phone": phone, "ethnic": ethnic, "household": hh, "role": role,
        "household_size": hsize, "building": building, "unit": unit[hh], "room": room[hh],
        "grid_idx": grid_idx, "district_idx": district_idx, "address": address,
        "mover": mover, "move_date": np.where(mover, move_date[hh], NAT),
        "prev_address": prev_address,
        "prev_building": prev_b[hh], "death": death, "local_hukou": local_hukou,
        "employer": np.full(n, -1, dtype=np.int64),
    }


def _unique_ids(rng: np.random.Generator, region: np.ndarray, birth: np.ndarray,
                male: np.ndarray) -> np.ndarray:
    """ID numbers with no collisions: re-draw the sequence number where two coincide."""
    n = len(region)
    seq = rng.integers(0, 500, n) * 2 + male.astype(np.int64)
    for _ in range(50):
        ids = identifiers.id_card_numbers(region, birth, seq)
        _, first_idx, counts = np.unique(ids, return_index=True, return_counts=True)
        dup = np.ones(n, dtype=bool)
        dup[first_idx] = False
        if not dup.any():
            return ids
        seq[dup] = rng.integers(0, 500, dup.sum()) * 2 + male[dup].astype(np.int64)
    raise RuntimeError("could not draw unique ID numbers")  # pragma: no cover
