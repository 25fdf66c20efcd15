"""The partner feed under load: change pages, verify and match against a bare endpoint.

A fresh PostgreSQL database gets the default policy packs, then (by direct SQL, COPY) N subjects
with name keys, N list entries in force (70% black, 15% red, 15% focus) and M change-log rows
(one ADD per entry, the rest MODs spread over the entries, seq in commit order). The app is
served by `medcredit serve --workers 2`; clients in a separate process (a minimal keep-alive
HTTP/1.1 client, so the client costs little of the shared CPU) call, each for a fixed time:

- bare:    GET /health, a constant answer with no database and no authentication;
- changes: GET /api/v1/feeds/black/changes?since=<random cursor>&limit=1000 (full pages);
- verify:  GET /api/v1/verify?id=<USCC of a random listed institution>;
- match10: POST /api/v1/match with 10 names (exact, traditional, homophone, suffix variants);
- changes_2c: the change pages again with 2 clients (one per worker): their latency when the
  server is not saturated (with 16 clients a page waits behind the 7 others its worker holds).

Every answer except bare is authenticated by an API key (rate limit out of reach), signed
(Ed25519, Content-Digest) and logged in partner_call, as in production.

    python bench/feed.py                   # 20,000 entries, 200,000 changes
    python bench/feed.py --quick           # 2,000 entries, 20,000 changes, short runs
    python bench/feed.py --entries 100000 --changes 1000000 --seconds 20

Targets: verify at least half the bare endpoint's requests per second; a 1,000-change page
p99 under 50 ms. The last line is one JSON object with `verify_ratio_to_bare`,
`changes_p99_ms` (16 clients, as before) and `changes_p99_ms_2_clients` among the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import Connection, http_request, percentile, serve, stop  # noqa: E402

DB_NAME = "medcredit_bench_feed"
SECRET = "bench-secret-key-that-is-long-enough"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国红梅志文斌"
PLACES = ("长沙", "株洲", "湘潭", "衡阳", "邵阳", "岳阳", "常德", "张家界", "益阳", "郴州")
WORDS = "仁和康复济民同心博爱华美安泰惠民德善福寿长青健民众康"
SUFFIXES = ("医院", "医院有限公司", "诊所", "大药房", "药店", "门诊部")
SCENARIOS = ("bare", "changes", "verify", "match10", "changes_2c")
# Scenarios run with a fixed number of clients instead of --concurrency.
FIXED_CLIENTS = {"changes_2c": 2}


def _uscc(number: int) -> str:
    from stdnum.cn import uscc

    body = f"9143010{number:010d}"
    return body + uscc.calc_check_digit(body)


def _ric(first_17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first_17, weights, strict=True))
    return first_17 + "10X98765432"[total % 11]


def _names(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, name): four institutions or pharmacies to one physician."""
    found = []
    for number in range(count):
        if number % 5 == 4:
            found.append(("physician", rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))))
        else:
            suffix = rng.choice(SUFFIXES)
            kind = "retail_pharmacy" if "药" in suffix else "medical_institution"
            name = rng.choice(PLACES) + "".join(rng.sample(WORDS, 2)) + f"{number}" + suffix
            found.append((kind, name))
    return found


# ---------------------------------------------------------------------------------- loading


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url.rsplit("/", 1)[0] + "/postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def build(
    base_url: str, entries: int, changes: int, db_name: str = DB_NAME
) -> dict[str, Any]:
    """A fresh database loaded with subjects, entries and changes; what the clients need."""
    import asyncpg
    from sqlalchemy import select

    from api.db import Database, metadata
    from credit.accounts import api_keys
    from credit.kernel.actor import SYSTEM_ACTOR
    from credit.policy import service as policy
    from credit.policy.models import PackVersion
    from credit.subjects.names import key_of
    from credit.subjects.pii import PersonalIdentifiers

    dsn = base_url.replace("postgresql+asyncpg://", "postgresql://")
    await _admin(dsn, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    await _admin(dsn, f'CREATE DATABASE "{db_name}"')
    dsn = dsn.rsplit("/", 1)[0] + f"/{db_name}"
    url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    database = Database(url)
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    async with database.transaction() as session:
        await policy.ensure_defaults(session)
        pack_id = (
            await session.execute(select(PackVersion.id).where(PackVersion.code == "national"))  # type: ignore[arg-type]
        ).scalar_one()
        _, plain_key = await api_keys.create(
            session,
            SYSTEM_ACTOR,
            agency="压测机构",
            scopes=["feed:black", "feed:red", "feed:focus", "verify", "match"],
            rate_limit_per_minute=1_000_000_000,
        )
    await database.dispose()

    rng = random.Random(7)
    pii = PersonalIdentifiers(SECRET)
    now = datetime.now(UTC)
    today = date.today()
    names = _names(entries, rng)
    subjects, grams, list_rows = [], [], []
    bodies: list[tuple[int, str, dict[str, Any]]] = []
    institution_usccs, listed_names = [], []
    started = time.perf_counter()
    for index, (kind, name) in enumerate(names):
        subject_id = index + 1
        key = key_of(name)
        uscc = resident = masked = sealed = nhsa = None
        if kind == "physician":
            born = date(1960, 1, 1) + timedelta(days=index // 1000)
            number = _ric(f"110105{born:%Y%m%d}{index % 1000:03d}")
            resident = pii.lookup_hash("resident_id", number)
            sealed = pii.seal(number)
            masked = number[:6] + "********" + number[-4:]
            nhsa = f"D430102{index:06d}"
        else:
            uscc = _uscc(index)
            nhsa = ("P" if kind == "retail_pharmacy" else "H") + f"{43010200000 + index:011d}"
            institution_usccs.append(uscc)
        subjects.append((subject_id, kind, name, uscc, resident, sealed, masked, nhsa, "430102",
                         False, now, now, key.core, key.pinyin))  # fmt: skip
        grams.extend((gram, subject_id) for gram in key.grams)
        list_name = "black" if index % 20 < 14 else ("red" if index % 20 < 17 else "focus")
        status = "listed" if list_name == "focus" else "published"
        valid_from, valid_until = today - timedelta(days=30), today + timedelta(days=1000)
        entry_id = index + 1
        list_rows.append((entry_id, list_name, subject_id, status, "BLK-FRAUD-ART40",
                          json.dumps(["经查实，该机构伪造医疗文书骗取医保基金"]),
                          "《医疗保障基金使用监督管理条例》第四十条", "[]", pack_id, False,
                          "bench", now, now, today - timedelta(days=40), valid_from,
                          valid_until, now, True))  # fmt: skip
        body = {
            "entry_id": entry_id, "list": list_name, "status": status,
            "subject": {"id": subject_id, "name": name, "kind": kind, "region_code": "430102",
                        "uscc": uscc, "nhsa_code": nhsa, "resident_id_masked": masked},
            "criterion_code": "BLK-FRAUD-ART40",
            "reasons": ["经查实，该机构伪造医疗文书骗取医保基金"],
            "legal_basis": "《医疗保障基金使用监督管理条例》第四十条", "record_ids": [],
            "decided_on": (today - timedelta(days=40)).isoformat(),
            "valid_from": valid_from.isoformat(), "valid_until": valid_until.isoformat(),
            "removal_reason": None, "removed_on": None, "under_objection": False,
        }  # fmt: skip
        bodies.append((entry_id, list_name, body))
        listed_names.append(name)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(
            "subject",
            records=subjects,
            columns=["id", "kind", "name", "uscc", "resident_id_hash", "resident_id_sealed",
                     "resident_id_masked", "nhsa_code", "region_code", "identifier_override",
                     "created_at", "updated_at", "name_key", "name_pinyin"],
        )  # fmt: skip
        await connection.copy_records_to_table(
            "subject_name_gram", records=sorted(set(grams)), columns=["gram", "subject_id"]
        )
        await connection.copy_records_to_table(
            "list_entry",
            records=list_rows,
            columns=["id", "list_name", "subject_id", "status", "criterion_code", "reasons",
                     "legal_basis", "record_ids", "pack_version_id", "automatic", "proposed_by",
                     "proposed_at", "disclosed_at", "decided_on", "valid_from", "valid_until",
                     "updated_at", "notice_deadline_exact"],
        )  # fmt: skip
        await _load_changes(connection, bodies, changes, rng, now)
        for table in ("subject", "list_entry", "change_log"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        await connection.execute("ANALYZE")
        black_seq = await connection.fetchval(
            "SELECT max(seq) FROM change_log WHERE stream = 'black'"
        )
    finally:
        await connection.close()
    return {
        "url": url,
        "key": plain_key,
        "usccs": rng.sample(institution_usccs, min(2000, len(institution_usccs))),
        "names": rng.sample(listed_names, min(2000, len(listed_names))),
        "black_max_seq": int(black_seq),
        "load_seconds": round(time.perf_counter() - started, 1),
    }


async def _load_changes(
    connection: Any,
    bodies: list[tuple[int, str, dict[str, Any]]],
    changes: int,
    rng: random.Random,
    now: datetime,
) -> None:
    """One ADD per entry, then MODs of random entries until `changes` rows; COPY in chunks."""
    chunk: list[tuple[Any, ...]] = []
    columns = ["id", "seq", "stream", "entity", "entity_id", "op", "subject_id", "agency",
               "public", "body", "occurred_at"]  # fmt: skip

    async def flush() -> None:
        await connection.copy_records_to_table("change_log", records=chunk, columns=columns)
        chunk.clear()

    for position in range(max(changes, len(bodies))):
        seq = position + 1
        entry_id, list_name, body = (
            bodies[position] if position < len(bodies) else rng.choice(bodies)
        )
        op = "ADD" if position < len(bodies) else "MOD"
        if op == "MOD":
            body = {**body, "legal_basis": f"《条例》第{position % 97 + 1}条"}
        text = json.dumps(body, ensure_ascii=False)
        chunk.append((seq, seq, list_name, "list_entry", entry_id, op, body["subject"]["id"],
                      None, list_name != "focus", text, now))  # fmt: skip
        if len(chunk) == 20_000:
            await flush()
    if chunk:
        await flush()


# ---------------------------------------------------------------------------------- clients


def _makers(plan: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    from urllib.parse import quote

    from opencc import OpenCC

    key = plan["key"]
    names = plan["names"]
    # Converted once: an OpenCC converter loads its dictionaries when made, a cost that would
    # otherwise land on the client's share of the CPU at every call.
    to_traditional = OpenCC("s2t")
    traditional = {name: to_traditional.convert(name) for name in names}
    variants = [
        lambda n: n,
        lambda n: traditional[n],
        lambda n: " ".join(n),
        lambda n: n.replace("医院", "医院有限公司"),
    ]

    def match10() -> bytes:
        queries = [{"name": rng.choice(variants)(rng.choice(names))} for _ in range(10)]
        return http_request("POST", "/api/v1/match", key, json.dumps({"queries": queries}).encode())

    top = max(1, plan["black_max_seq"] - 2000)

    def changes() -> bytes:
        since = rng.randint(0, top)
        return http_request("GET", f"/api/v1/feeds/black/changes?since={since}&limit=1000", key)

    return {
        "bare": lambda: http_request("GET", "/health", None),
        "changes": changes,
        "changes_2c": changes,
        "verify": lambda: http_request(
            "GET", f"/api/v1/verify?id={quote(rng.choice(plan['usccs']))}", key
        ),
        "match10": match10,
    }


async def _drive(
    plan: dict[str, Any], scenario: str, seconds: float, concurrency: int
) -> dict[str, Any]:
    rng = random.Random(11)
    make = _makers(plan, rng)[scenario]
    latencies: list[float] = []
    failures = 0
    first_failure = ""

    async def worker(deadline: float, record: bool) -> None:
        nonlocal failures, first_failure
        connection = await Connection.open(plan["port"])
        try:
            while time.perf_counter() < deadline:
                request = make()
                start = time.perf_counter()
                status, body = await connection.exchange(request)
                if record:
                    latencies.append(time.perf_counter() - start)
                    failures += status != 200
                    if status != 200 and not first_failure:
                        first_failure = f"{status} {body[:300].decode(errors='replace')}"
        finally:
            connection.close()

    warm = time.perf_counter() + min(2.0, seconds / 4)
    await asyncio.gather(*(worker(warm, False) for _ in range(concurrency)))
    begin = time.perf_counter()
    await asyncio.gather(*(worker(begin + seconds, True) for _ in range(concurrency)))
    elapsed = time.perf_counter() - begin
    latencies.sort()

    figures: dict[str, Any] = {
        "requests": len(latencies),
        "failures": failures,
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
    }
    if first_failure:
        figures["first_failure"] = first_failure
    return figures


def client_main(plan_path: str, seconds: float, concurrency: int) -> None:
    plan = json.loads(Path(plan_path).read_text())
    figures = {
        scenario: asyncio.run(
            _drive(plan, scenario, seconds, FIXED_CLIENTS.get(scenario, concurrency))
        )
        for scenario in SCENARIOS
    }
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=None, help="list entries (20,000)")
    parser.add_argument("--changes", type=int, default=None, help="change-log rows (200,000)")
    parser.add_argument("--seconds", type=float, default=None, help="per scenario (10)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--quick", action="store_true", help="2,000 entries, 20,000 changes")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("MEDCREDIT_TEST_POSTGRES_URL")
        or "postgresql://postgres@127.0.0.1:5432/test",
    )
    parser.add_argument("--server-log", type=Path, help="write the server's output to this file")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    if args.client:
        client_main(args.client, seconds, args.concurrency)
        return
    entries = args.entries or (2_000 if args.quick else 20_000)
    changes = args.changes or (20_000 if args.quick else 200_000)

    print(f"loading {entries:,} entries and {changes:,} changes into PostgreSQL …", flush=True)
    plan = asyncio.run(build(args.postgres_url, entries, changes))
    plan["port"] = args.port
    print(f"loaded in {plan['load_seconds']} s; serving with 2 workers", flush=True)
    plan_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"medcredit-bench-feed-{os.getpid()}.json"
    plan_path.write_text(json.dumps(plan))
    server = serve(
        {"MEDCREDIT_DATABASE_URL": plan["url"], "MEDCREDIT_SECRET_KEY": SECRET},
        args.port,
        log=args.server_log,
    )
    try:
        client = subprocess.run(
            [sys.executable, __file__, "--client", str(plan_path), "--seconds", str(seconds),
             "--concurrency", str(args.concurrency)],
            capture_output=True, text=True, check=False, timeout=seconds * 20 + 300,
        )  # fmt: skip
        if client.returncode != 0:
            raise SystemExit(f"the client failed:\n{client.stderr[-3000:]}")
        figures = json.loads(client.stdout.strip().splitlines()[-1])
    finally:
        stop(server)
        plan_path.unlink(missing_ok=True)

    print(
        f"\n{'scenario':<10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'requests':>10}{'failed':>8}"
    )
    for scenario in SCENARIOS:
        row = figures[scenario]
        print(f"{scenario:<10}{row['rps']:>10}{row['p50_ms']:>10}{row['p99_ms']:>10}"
              f"{row['requests']:>10}{row['failures']:>10}")  # fmt: skip
        if "first_failure" in row:
            print(f"  first failure: {row['first_failure']}")
    summary = {
        "entries": entries,
        "change_rows": changes,
        "concurrency": args.concurrency,
        "seconds": seconds,
        **figures,
        "verify_ratio_to_bare": round(figures["verify"]["rps"] / figures["bare"]["rps"], 3),
        "changes_p99_ms": figures["changes"]["p99_ms"],
        "changes_p99_ms_2_clients": figures["changes_2c"]["p99_ms"],
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }
    print(f"\nverify / bare = {summary['verify_ratio_to_bare']} (target ≥ 0.5); "
          f"1,000-change page p99 = {summary['changes_p99_ms']} ms with "
          f"{args.concurrency} clients, {summary['changes_p99_ms_2_clients']} ms with 2 "
          f"(target < 50); load average {summary['load_average']}")  # fmt: skip
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
