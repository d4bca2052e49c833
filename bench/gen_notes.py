#!/usr/bin/env python3
"""Synthetic session notes for bench/compare.sh: deterministic, realistic-looking text.

Writes N Markdown files (front matter `date:`, a body of about SIZE bytes, a few
`## category` sections) into DIR, and the same bodies as one SQL file that inserts them
into an SQLCipher database in one transaction. The word given by --rare appears in
about one note in 20 (so a search has hits, but not in every note).

usage: gen_notes.py --count N --size 2048 --seed 5 --dir DIR [--sql FILE --key KEY]
"""

import argparse
import datetime
import os
import random

OPENERS = [
    "Client arrived on time and was appropriately dressed.",
    "Client arrived ten minutes late, apologetic, and settled quickly.",
    "Session held by video; connection was stable throughout.",
    "Client presented with flat affect and spoke softly for the first half of the session.",
    "Client was talkative and engaged, with a bright affect.",
]
SUBJECTS = ["Client", "She", "He", "They", "The client"]
VERBS = [
    "reported", "described", "discussed", "reflected on", "returned to",
    "acknowledged", "explored", "expressed frustration about", "brought up",
    "noted improvement in", "denied any change in", "linked",
]
TOPICS = [
    "sleep over the past week", "conflict with a coworker about deadlines",
    "the argument with their partner on Sunday", "worry about the upcoming move",
    "feeling overwhelmed at work", "missing their mother since the funeral",
    "a panic episode on the train", "using the breathing exercise twice",
    "irritability in the mornings", "difficulty concentrating when reading",
    "the relationship with their teenage son", "drinking less on weekends",
    "appetite, which is back to normal", "guilt about taking time off",
    "the thought record homework", "avoidance of phone calls",
    "rumination before bed", "a good weekend visiting friends",
    "pressure from the family to return home for the holidays",
    "self-criticism after the performance review",
]
CLINICIAN = [
    "Therapist reflected the pattern of avoidance and its short-term relief.",
    "We reviewed the cognitive model and identified two automatic thoughts.",
    "Practiced paced breathing in session for five minutes; client rated distress from 6 to 3.",
    "Explored the link between work stress and evening irritability.",
    "Validated the grief and normalized the waves of sadness.",
    "Introduced behavioural activation and scheduled two pleasant activities.",
    "Discussed sleep hygiene: fixed wake time, no screens after ten.",
    "Used Socratic questioning to examine the belief that mistakes are unforgivable.",
    "Role-played the conversation with the manager.",
    "Reviewed the safety plan together; client keeps a copy on the phone.",
]
RISK = [
    "No suicidal or homicidal ideation reported. No self-harm since the last session.",
    "Denies suicidal ideation, intent or plan. Protective factors: children, work, faith.",
    "Passive thoughts of not waking up last Tuesday, none since; no plan or intent. Safety plan reviewed.",
]
PLAN = [
    "Continue weekly CBT. Homework: thought record three times this week.",
    "Next session in one week. Client to try the sleep schedule and log it.",
    "Continue fortnightly sessions; revisit goals at session twelve.",
    "Coordinate with the primary care physician about the medication review, with consent on file.",
]
MEDICATION = [
    "Sertraline 50 mg daily, adherent, mild nausea in the first week only.",
    "No psychiatric medication; client declined a referral for now.",
    "Escitalopram 10 mg, taking it most days; will discuss missed doses with the prescriber.",
]
RARE_TOPIC = "{rare} most nights, waking at four and unable to fall asleep again"


def sentence(rng, rare):
    topic = RARE_TOPIC.format(rare=rare) if rare else rng.choice(TOPICS)
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {topic}."


def body(rng, size, rare_word):
    """A note body of at most `size` bytes (and within about a hundred of it)."""
    has_rare = rng.random() < 0.05
    parts = [rng.choice(OPENERS)]
    length = len(parts[0])
    tail = [
        "## risk\n" + rng.choice(RISK),
        "## medication\n" + rng.choice(MEDICATION),
        "## treatment-plan\n" + rng.choice(PLAN),
    ]
    budget = size - sum(len(t) + 2 for t in tail)
    paragraph = []
    rare_len = len(sentence(random.Random(0), rare_word)) + 2
    while True:
        rare_now = has_rare and rng.random() < 0.15
        if rare_now:
            text = sentence(rng, rare_word)
        elif rng.random() < 0.3:
            text = rng.choice(CLINICIAN)
        else:
            text = sentence(rng, None)
        # Leave room for the rare sentence if it is still to come.
        if length + len(text) + 2 > budget - (rare_len if has_rare and not rare_now else 0):
            break
        has_rare = has_rare and not rare_now
        paragraph.append(text)
        length += len(text) + 1
        if len(paragraph) >= 5:
            parts.append(" ".join(paragraph))
            paragraph = []
    if paragraph:
        parts.append(" ".join(paragraph))
    if has_rare:  # make sure the chosen notes do hold the word
        parts.append(sentence(rng, rare_word))
    return "\n\n".join(parts + tail) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--rare", default="insomnia")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--sql")
    ap.add_argument("--key")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    os.makedirs(args.dir, exist_ok=True)
    start = datetime.date(2015, 1, 5)
    sql = None
    if args.sql:
        sql = open(args.sql, "w", encoding="utf-8")
        sql.write(f"PRAGMA key = '{args.key}';\n")
        sql.write("CREATE TABLE notes (id INTEGER PRIMARY KEY, client TEXT NOT NULL, "
                  "date TEXT NOT NULL, body TEXT NOT NULL);\n")
        sql.write("BEGIN;\n")
    hits = 0
    total = 0
    for i in range(args.count):
        # Three notes a day, over a hundred years at most (dates stay within those
        # casevault keeps, whatever the count).
        date = start + datetime.timedelta(days=(i // 3) % 36500)
        text = body(rng, args.size, args.rare)
        hits += args.rare in text
        total += len(text.encode())
        with open(os.path.join(args.dir, f"note-{i:06d}.md"), "w", encoding="utf-8") as f:
            f.write(f"---\ndate: {date.isoformat()}\n---\n{text}")
        if sql:
            escaped = text.replace("'", "''")
            sql.write(f"INSERT INTO notes (client, date, body) VALUES "
                      f"('c1', '{date.isoformat()}', '{escaped}');\n")
    if sql:
        sql.write("COMMIT;\n")
        sql.close()
    print(f"{args.count} notes, {total // max(args.count, 1)} bytes on average, "
          f"{hits} containing {args.rare!r}")


if __name__ == "__main__":
    main()
