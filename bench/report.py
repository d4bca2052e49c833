#!/usr/bin/env python3
"""The results table of bench/compare.sh, from the figures it exports as T_*/M_*.

    report.py                  prints the Markdown table (figures from the environment)
    report.py --write DOC      puts the table read from standard input between the
                               results markers of DOC (appends them if missing)

Criterion's latest estimates (`cargo bench`) are added when CRITERION_DIR holds them.
"""

import datetime
import glob
import json
import os
import sys

START = "<!-- results:start -->"
END = "<!-- results:end -->"
KDF_MEMORY_MIB = 64  # the default Argon2id memory (docs/PERFORMANCE.md, targets)


def env(name, default=None):
    return os.environ.get(name, default)


def t(key):
    value = env("T_" + key)
    return float(value) if value else None


def mib(key):
    value = env("M_" + key)
    return int(value) / 1024 if value else None


def secs(value):
    if value is None:
        return "not run"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def ratio(a, b):
    return f"{a / b:.2f}×" if a is not None and b else "–"


def verdict(ok):
    return "**met**" if ok else "**missed**"


def thousands(n):
    return f"{int(n):,}"


def criterion_estimates(root):
    """{(group, function, parameter or ""): (median ns, title)} from criterion's files."""
    found = {}
    for path in glob.glob(os.path.join(root, "**", "new", "benchmark.json"), recursive=True):
        try:
            with open(path) as f:
                bench = json.load(f)
            with open(os.path.join(os.path.dirname(path), "estimates.json")) as f:
                median = json.load(f)["median"]["point_estimate"]
        except (OSError, KeyError, ValueError):
            continue
        key = (bench.get("group_id"), bench.get("function_id"), bench.get("value_str") or "")
        found[key] = (median, bench.get("title") or bench.get("full_id"))
    return found


def ns(value):
    if value >= 1e9:
        return f"{value / 1e9:.2f} s"
    if value >= 1e6:
        return f"{value / 1e6:.1f} ms"
    return f"{value / 1e3:.1f} µs"


def table():
    n_import, n_search, n_age = (int(env(k)) for k in ("IMPORT_N", "SEARCH_N", "AGE_N"))
    word = env("WORD")
    out = []
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    quick = " (QUICK=1: reduced sizes)" if env("QUICK") == "1" else ""
    out.append(
        f"Run {when} by `bench/compare.sh`{quick}, casevault {env('REV')}{env('DIRTY', '')}; "
        f"{env('NPROC')} cores ({env('CPU')}), {env('MEM')} of memory; "
        f"SQLCipher {env('SQLCIPHER_VERSION')} (Debian's `sqlcipher`), age {env('AGE_VERSION')}. "
        f"Notes of about 2 KiB; whole processes, wall clock, KDF included; search, verify "
        f"and export are the median of {env('RUNS')} runs, note show of {env('SHOW_RUNS')}, "
        f"imports and the age loops one run. Peak memory is the peak resident set size. "
        f"Load average before the run {env('LOAD_BEFORE')}, after {env('LOAD_AFTER')}."
    )
    out.append("")
    out.append("| what | casevault | other tool | casevault ÷ other | target | |")
    out.append("|---|---|---|---|---|---|")
    cv, sq = t("cv_import"), t("sq_import")
    out.append(
        f"| import {thousands(n_import)} notes | {secs(cv)} | SQLCipher, one transaction: {secs(sq)} "
        f"| {ratio(cv, sq)} | ≤ 1.0× | {verdict(cv <= sq)} |"
    )
    cv, sq = t("cv_search"), t("sq_search")
    if n_search >= 1_000_000:
        # At scale the target is absolute: under half a second, in little memory.
        limit = KDF_MEMORY_MIB + 64
        out.append(
            f"| search `{word}` over {thousands(n_search)} notes ({env('CV_HITS')} match) | {secs(cv)}, "
            f"{mib('cv_search'):.0f} MiB | SQLCipher `LIKE '%{word}%'`: {secs(sq)} | {ratio(cv, sq)} "
            f"| < 0.5 s, ≤ {limit} MiB | {verdict(cv < 0.5 and mib('cv_search') <= limit)} |"
        )
    else:
        out.append(
            f"| search `{word}` over {thousands(n_search)} notes ({env('CV_HITS')} match) | {secs(cv)} "
            f"| SQLCipher `LIKE '%{word}%'`: {secs(sq)} | {ratio(cv, sq)} | ≤ 0.5× and < 1 s "
            f"| {verdict(cv <= 0.5 * sq and cv < 1)} |"
        )
    cv, age = t("cv_enc"), t("age_enc")
    out.append(
        f"| encrypt {thousands(n_age)} note files | `note import`, one process: {secs(cv)} "
        f"| `age -e -r`, one process per file: {secs(age)} ({age / n_age * 1000:.1f} ms a file) "
        f"| {ratio(cv, age)} | – | |"
    )
    cv, age = t("cv_dec"), t("age_dec")
    out.append(
        f"| decrypt the same {thousands(n_age)} notes | `search`, one process: {secs(cv)} "
        f"| `age -d -i`, one process per file: {secs(age)} ({age / n_age * 1000:.1f} ms a file) "
        f"| {ratio(cv, age)} | – | |"
    )
    out.append("")

    kdf = t("cv_show_tiny")
    show = t("cv_show")
    limit_mib = KDF_MEMORY_MIB + 64
    out.append("| casevault alone | time | peak memory | target | |")
    out.append("|---|---|---|---|---|")
    out.append(
        f"| open + show one note, 1-note vault (the KDF baseline) | {secs(kdf)} "
        f"| {mib('cv_show_tiny'):.0f} MiB | – | |"
    )
    out.append(
        f"| open + show one note, {thousands(n_search)}-note vault | {secs(show)} "
        f"({(show - kdf) * 1000:+.0f} ms) | {mib('cv_show'):.0f} MiB | ≤ KDF + 20 ms "
        f"| {verdict(show - kdf <= 0.020)} |"
    )
    for key, what in (("cv_search", "search"), ("cv_verify", "audit verify"), ("cv_export", "export (`disclose`, client's own request, all)")):
        if env("T_" + key) is None:
            continue
        peak = mib(key)
        out.append(
            f"| peak memory of {what}, {thousands(n_search)}-note vault | {secs(t(key))} "
            f"| {peak:.0f} MiB | ≤ {limit_mib} MiB (KDF + 64) | {verdict(peak <= limit_mib)} |"
        )
    out.append(
        f"| audit verify, {thousands(env('EVENTS'))} events and {thousands(env('RECORDS'))} records "
        f"| {secs(t('cv_verify'))} | {mib('cv_verify'):.0f} MiB | – | |"
    )
    if env("BIG_VERIFY") == "1":
        big = t("cv_verify_big")
        out.append(
            f"| audit verify, {thousands(env('BIG_EVENTS'))} events and {thousands(env('BIG_RECORDS'))} records "
            f"| {secs(big)} | {mib('cv_verify_big'):.0f} MiB | ≤ 5 s | {verdict(big <= 5)} |"
        )
    else:
        out.append("| audit verify, 1,000,000 events | not run (VERIFY_EVENTS=0) | | ≤ 5 s | |")
    per_import = (t("cv_import_big") - kdf) / n_search * 1e6
    per_search = (t("cv_search") - kdf) / n_search * 1e6
    out.append(
        f"| import {thousands(n_search)} notes (building the searched vault) | {secs(t('cv_import_big'))} "
        f"= {per_import:.0f} µs a note beyond the KDF | {mib('cv_import_big'):.0f} MiB | – | |"
    )
    out.append(
        f"| search, per note beyond the KDF | {per_search:.0f} µs | | – | |"
    )
    out.append(
        f"| sizes, {thousands(n_search)} notes | vault {int(env('VAULT_BYTES')) / 2**20:.0f} MiB, "
        f"SQLCipher {int(env('DB_BYTES')) / 2**20:.0f} MiB"
        + (f", export {int(env('EXPORT_BYTES')) / 2**20:.1f} MiB" if env("T_cv_export") else "")
        + " | | | |"
    )
    notes, index = int(env("NOTE_BYTES", "0")), int(env("INDEX_BYTES", "0"))
    if notes:
        out.append(
            f"| in the vault: the notes' records, the search index | {notes / 2**20:.0f} MiB, "
            f"{index / 2**20:.0f} MiB ({index / notes:.0%} of the notes') | | | |"
        )
    out.append(
        f"| SQLCipher import of the same {thousands(n_search)} notes | {secs(t('sq_import_big'))} | "
        f"{mib('sq_import_big'):.0f} MiB | | |"
    )

    estimates = criterion_estimates(env("CRITERION_DIR", ""))
    if estimates:
        out.append("")
        out.append(
            "Criterion (`cargo bench`, latest run in the target directory), median time of one "
            "record: casevault's `seal`/`open` beside raw ChaCha20-Poly1305 over the same "
            "plaintext, and over the padded length a record encrypts:"
        )
        out.append("")
        out.append("| operation | size | casevault | raw | raw, padded | casevault ÷ raw | target |")
        out.append("|---|---|---|---|---|---|---|")
        for op in ("seal", "open"):
            for size in ("1KiB", "2KiB", "16KiB"):
                cv = estimates.get((op, "casevault", size))
                raw = estimates.get((op, "raw-chacha20poly1305", size))
                padded = estimates.get((op, "raw-chacha20poly1305-padded", size))
                if not (cv and raw):
                    continue
                target = ""
                if op == "open" and size == "2KiB":
                    target = f"≤ 3× {verdict(cv[0] <= 3 * raw[0])}"
                out.append(
                    f"| {op} | {size.replace('KiB', ' KiB')} | {ns(cv[0])} | {ns(raw[0])} "
                    f"| {ns(padded[0]) if padded else '–'} | {cv[0] / raw[0]:.1f}× | {target} |"
                )
        vault = sorted((v for k, v in estimates.items() if k[0] == "vault"), key=lambda v: v[1])
        if vault:
            out.append("")
            out.append("| `cargo bench --bench vault` | median |")
            out.append("|---|---|")
            for median, title in vault:
                out.append(f"| {title.removeprefix('vault/')} | {ns(median)} |")
    return "\n".join(out) + "\n"


def write(doc):
    results = sys.stdin.read().strip("\n")
    try:
        with open(doc) as f:
            text = f.read()
    except FileNotFoundError:
        text = "# Performance\n"
    block = f"{START}\n{results}\n{END}"
    if START in text and END in text:
        before = text[: text.index(START)]
        after = text[text.index(END) + len(END):]
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n## Results\n\n" + block + "\n"
    with open(doc, "w") as f:
        f.write(text)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--write":
        write(sys.argv[2])
    else:
        sys.stdout.write(table())
