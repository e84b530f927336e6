"""Companies: names, USCC codes, legal representatives, addresses and employees."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from citybrain.simulate import identifiers, pools
from citybrain.simulate.geo import Geography
from citybrain.simulate.people import DAYS, START, join_str

STATUS = np.array(["存续", "注销", "吊销"])


def build_companies(rng: np.random.Generator, people: dict, geo: Geography,
                    people_per_company: int) -> dict[str, object]:
    """Companies of the city; also fills ``people['employer']`` in place."""
    n = max(10, len(people["age"]) // people_per_company)
    d_idx = rng.choice(len(geo.districts["code"]), p=geo.districts["share"], size=n)
    words = np.array(pools.COMPANY_WORDS
                     + [a + b for a in pools.PLACE_HEAD for b in "信达通源丰盛恒泰华远鑫诚"])
    ind = rng.choice(len(pools.INDUSTRIES), size=n,
                     p=np.array([i[3] for i in pools.INDUSTRIES]) / sum(i[3] for i in
                                                                        pools.INDUSTRIES))
    forms = np.array([f for f, _ in pools.ORG_FORMS])
    form = rng.choice(len(forms), p=np.array([p for _, p in pools.ORG_FORMS]), size=n)
    ind_word = np.array([i[2] for i in pools.INDUSTRIES])[ind]
    dname = geo.districts["name"][d_idx]
    long_prefix = rng.random(n) < 0.35
    prefix = np.where(long_prefix, np.char.add("青岛市", dname), "青岛")
    zihao = words[rng.integers(0, len(words), n)]
    name = np.char.add(np.char.add(np.char.add(prefix, zihao), ind_word), forms[form])
    for _ in range(20):  # registered names are unique: re-draw the trade name of repeats
        _, first_idx = np.unique(name, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first_idx] = False
        if not dup.any():
            break
        zihao[dup] = np.char.add(words[rng.integers(0, len(words), dup.sum())],
                                 words[rng.integers(0, len(words), dup.sum())])
        name[dup] = np.char.add(np.char.add(np.char.add(prefix[dup], zihao[dup]),
                                            ind_word[dup]), forms[form[dup]])
    # establishment dates: more companies recently, as in the real register
    years_back = np.minimum(rng.exponential(8.0, n), 29.9)
    est = START - (years_back * 365.25).astype("timedelta64[D]")
    in_period = rng.random(n) < 0.08
    est[in_period] = START + rng.integers(0, DAYS, in_period.sum()).astype("timedelta64[D]")
    est_year = est.astype("datetime64[Y]").astype(np.int64) + 1970
    new_style = est_year >= 2015
    org_type = np.ones(n, dtype=np.int64)  # 1 = enterprise under market regulation
    uscc = identifiers.uscc_codes(rng, geo.districts["code"][d_idx].astype(np.int64),
                                  new_style, org_type)
    status = rng.choice(3, p=[0.82, 0.12, 0.06], size=n)
    status[in_period] = 0
    closed = np.full(n, np.datetime64("NaT", "D"))
    st = status > 0
    closed[st] = est[st] + (rng.random(st.sum()) * (START + DAYS - est[st]).astype(np.int64)
                            ).astype("timedelta64[D]")
    # legal representatives: distinct adults alive at the start
    alive = np.isnat(people["death"]) | (people["death"] > START)
    adults = np.flatnonzero((people["age"] >= 25) & (people["age"] <= 70) & alive)
    legal_rep = rng.choice(adults, size=n, replace=len(adults) < n)
    # address: a building in the company's district, an office room
    b_d = geo.grids["district_idx"][geo.buildings["grid_idx"]]
    building = np.empty(n, dtype=np.int64)
    for di in range(len(geo.districts["code"])):
        m = d_idx == di
        cand = np.flatnonzero(b_d == di)
        building[m] = cand[rng.integers(0, len(cand), m.sum())]
    room = rng.integers(1, 30, n) * 100 + rng.integers(1, 10, n)
    address = join_str(pa.array(geo.buildings["address"]).take(pa.array(building)), room, "室")
    capital = np.round(rng.lognormal(5.0, 1.3, n), 2)
    # employees: working-age people pick an operating company, big ones more often
    size_w = rng.pareto(1.2, n) + 1.0
    size_w[status > 0] = 0.0
    workers = np.flatnonzero((people["age"] >= 18) & (people["age"] <= 60) & alive
                             & (rng.random(len(people["age"])) < 0.68))
    people["employer"][workers] = rng.choice(n, p=size_w / size_w.sum(), size=len(workers))
    employees = np.bincount(people["employer"][workers], minlength=n)
    return {
        "company_id": np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), 7)),
        "name": name, "uscc": uscc, "district_idx": d_idx, "industry": ind,
        "form": forms[form], "established": est, "status": STATUS[status], "closed": closed,
        "legal_rep": legal_rep, "building": building, "address": address,
        "capital_wan": capital, "employees": employees,
    }
