"""Instructions per intake request, counted by valgrind: the same figure on a busy machine as on a quiet one.

Usage::

    .venv/bin/python bench/intake/instructions.py                          # this checkout, PostgreSQL
    .venv/bin/python bench/intake/instructions.py --baseline /tmp/before    # and an older copy, side by side
    .venv/bin/python bench/intake/instructions.py --db sqlite               # SQLite: the database's work included

    git archive <commit> | tar -x -C /tmp/before                            # making the older copy

Why: on the shared 2-core machine the CPU time of the same code varied by
20 % from one run to the next (docs/performance.md, 7 December 2026), more
than most changes it was asked to judge. ``valgrind --tool=callgrind``
counts the instructions a process executes, which does not depend on what
else runs. It counts our Python process only: on PostgreSQL the server's
work is not in the figure (``cpu.py`` measures its CPU time); on SQLite the
database runs inside the process, so it is.

For each copy of the code (this checkout, and ``--baseline`` if given):

1. Create a database for it (``tl_intake_instr`` on PostgreSQL, a file on
   SQLite), migrate it with that copy's migrations, and create a partner,
   natively (not under valgrind).
2. Run the request driver under callgrind three times: warm-up only; warm-up
   and ``--reports`` single-item reports; warm-up and one CSV upload of
   ``--bulk-rows`` rows. Requests go through Django's test ``Client``: the
   whole stack (middleware, Ninja, key authentication, validation, services,
   transaction), without the HTTP server.
3. Instructions per report = (second run - first) / reports; per bulk item =
   (third - first) / rows. Start-up and warm-up cancel out.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_NAME = "tl_intake_instr"
WARM_UP = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--reports", type=int, default=100)
    parser.add_argument("--bulk-rows", type=int, default=1000)
    parser.add_argument("--baseline", type=Path, help="an older copy of the code to count beside this checkout")
    parser.add_argument("--save", type=Path, help="write the figures as JSON")
    # Internal: the phases that run in a child process.
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    parser.add_argument("--drive", choices=["none", "reports", "bulk"], help=argparse.SUPPRESS)
    parser.add_argument("--tree", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        setup(args.tree, args.url, Path(args.setup))
        return
    if args.drive:
        drive(args)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    trees = {"now": HERE.parents[2]}
    if args.baseline:
        trees = {"before": args.baseline.resolve(), **trees}
    results = {name: count(args, tree) for name, tree in trees.items()}
    print_table(args, results)
    if args.save:
        args.save.write_text(json.dumps({k: {**v, "tree": str(trees[k])} for k, v in results.items()}, indent=2))


def count(args: argparse.Namespace, tree: Path) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="trustline-instr-"))
    url = _create_database(args.db, workdir)
    try:
        key_file = workdir / "key"
        _run([sys.executable, str(HERE), "--setup", str(key_file), "--tree", str(tree), "--url", url])
        totals = {}
        for phase in ("none", "reports", "bulk"):
            print(f"[{tree.name}] callgrind: {phase}…", flush=True)
            totals[phase] = _callgrind(args, tree, url, key_file, phase, workdir)
        return {
            "instructions_per_report": (totals["reports"] - totals["none"]) / args.reports,
            "instructions_per_bulk_item": (totals["bulk"] - totals["none"]) / args.bulk_rows,
        }
    finally:
        _drop_database(args.db)
        shutil.rmtree(workdir, ignore_errors=True)


def _callgrind(args: argparse.Namespace, tree: Path, url: str, key_file: Path, phase: str, workdir: Path) -> int:
    out = workdir / f"callgrind.{phase}"
    done = _run([
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
        sys.executable, str(HERE), "--drive", phase, "--tree", str(tree), "--url", url,
        "--reports", str(args.reports), "--bulk-rows", str(args.bulk_rows),
    ], env={"INSTR_KEY_FILE": str(key_file)})
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no total:\n{done.stderr[-2000:]}")
    out.unlink(missing_ok=True)
    return int(found.group(1))


def _run(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, check=False, env={**os.environ, **(env or {})})
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])}… failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done


def _create_database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'instr.sqlite3'}"
    _drop_database(kind)
    _pg_admin(f'CREATE DATABASE "{PG_NAME}"')
    return PG_ADMIN_URL.rpartition("/")[0] + "/" + PG_NAME


def _drop_database(kind: str) -> None:
    if kind == "postgres":
        _pg_admin(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.encode())  # our own identifier, not user input


# --- child processes ---------------------------------------------------------------------------------------


def _django(tree: str, url: str, workdir: str) -> None:
    sys.path.insert(0, tree)  # that copy's trustline, not an installed one
    os.environ.update(DEBUG="0", SECRET_KEY="instr-" + "x" * 50, ALLOWED_HOSTS="testserver", DATABASE_URL=url,
                      TRUSTLINE_DATA_DIR=workdir, LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="trustline.settings")
    import django

    import trustline

    assert str(Path(trustline.__file__).resolve()).startswith(str(Path(tree).resolve())), trustline.__file__
    django.setup()


def setup(tree: str, url: str, key_file: Path) -> None:
    _django(tree, url, str(key_file.parent / "data"))
    from django.core.management import call_command

    from trustline.accounts.models import Organisation
    from trustline.accounts.permissions import SYSTEM
    from trustline.accounts.services import apikey_create
    from trustline.partners.services import partner_create

    call_command("migrate", verbosity=0, interactive=False)
    partner = partner_create(actor=SYSTEM, name="Instr Partner", countries=["FR"], languages=["fr"], contact_email="")
    key_file.write_text(apikey_create(actor=SYSTEM, organisation=Organisation.objects.get(pk=partner.pk),
                                      name="instr").raw)


def drive(args: argparse.Namespace) -> None:
    key_file = Path(os.environ["INSTR_KEY_FILE"])
    _django(args.tree, args.url, str(key_file.parent / "data"))
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {key_file.read_text().strip()}")
    counter = iter(range(10**9))
    prefix = args.drive  # each run its own URLs: the three runs share one database

    def post_report() -> None:
        body = (
            '{"items":[{"url":"https://social.example/instr/' + prefix + "/" + str(next(counter)) + '",'
            '"kind":"post"}],"category":"hateful_conduct","explanation":"Dehumanising post.","country":"FR",'
            '"language":"fr","targets":["religious_or_ethnic_minority"],"bona_fide":true}'
        )
        response = client.post("/api/v1/reports", body, content_type="application/json")
        if response.status_code != 201:
            raise SystemExit(f"report: HTTP {response.status_code}: {response.content[:300]!r}")

    for _ in range(WARM_UP):
        post_report()
    if args.drive == "reports":
        for _ in range(args.reports):
            post_report()
    elif args.drive == "bulk":
        rows = "".join(f"https://social.example/instr/bulk/{n},post,impersonation,Fake account,KE,sw,true\n"
                       for n in range(args.bulk_rows))
        data = ("url,kind,category,explanation,country,language,bona_fide\n" + rows).encode()
        upload = SimpleUploadedFile("instr.csv", data, content_type="text/csv")
        response = client.post("/api/v1/reports/bulk", {"file": upload})
        answer: Any = response.json() if response.status_code == 200 else None
        if answer is None or answer["accepted_rows"] != args.bulk_rows:
            raise SystemExit(f"bulk: HTTP {response.status_code}: {response.content[:300]!r}")


def print_table(args: argparse.Namespace, results: dict[str, dict[str, float]]) -> None:
    names = list(results)
    print(f"\ninstructions executed by the Trustline process ({args.db}; "
          f"{args.reports} reports, {args.bulk_rows} bulk rows)")
    print(" | ".join(["figure", *names] + (["now / before"] if "before" in results else [])))
    for key, label in (("instructions_per_report", "per single-item report"),
                       ("instructions_per_bulk_item", "per bulk item")):
        cells = [label] + [f"{results[n][key] / 1e6:.3f} M" for n in names]
        if "before" in results:
            cells.append(f"{results['now'][key] / results['before'][key]:.3f}")
        print(" | ".join(cells))


if __name__ == "__main__":
    main()
