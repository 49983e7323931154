#!/usr/bin/env python3
"""Generate the shipped example's activity log for `pipe`.

Reads the example register and journal (written by scripts/make_example.py)
and writes, relative to the repository root:
  examples/activities.csv  activity log: UTF-8 without BOM, ',' delimiter, LF,
                           header at,date,id,kind,hours,by,note

Each prospect's time follows its history in the journal, by the person who
owns it (the register's Commercial column):
  * prospection (research, cold calls) from its entry until its meeting;
  * calls while it is being qualified;
  * the meeting itself, on the day the prospect enters Rendez-vous or a few
    days after (the stage means "a meeting is set or has just been held");
  * site surveys and quote preparation before Devis envoyé;
  * follow-ups after the quote, until the decision;
  * a hand-over meeting after a few signatures (work after the milestone).
The director, Hélène Vernay, joins some meetings on large deals, so that a
prospect's hours come from several people. Some prospects have no logged
hours at all (suspects nobody has worked on yet, and a few others). Hours
are written in canonical form: decimal hours (`1.5`) or hours and minutes
(`0h20`) when the duration is no finite decimal of hours.

Lines are recorded as weekly timesheets: one person's activities of a week
share one recording time (`at`), the Friday evening of that week.

Deterministic: fixed seed, standard library only, "today" fixed at
2026-11-27. Running it twice produces identical bytes.

Usage: python3 scripts/make_activities.py
"""

import csv
import datetime as dt
import os
import random
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_example import paris_offset  # noqa: E402  (the same clock as the journal)

SEED = 20261128
TODAY = dt.date(2026, 11, 27)
NOW = dt.datetime(2026, 11, 27, 9, 0)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGISTER = os.path.join(ROOT, "examples", "prospects.csv")
JOURNAL = os.path.join(ROOT, "examples", "journal.csv")
ACTIVITIES = os.path.join(ROOT, "examples", "activities.csv")

DIRECTOR = "Hélène Vernay"
SALES = ["Julien Marchetti", "Sophie Lefèvre", "Karim Benali", "Élodie Garnier"]
DAY = dt.timedelta(days=1)

rng = random.Random(SEED)

NOTES = {
    "prospection": ["Recherche des décideurs", "Phoning sur fichier CCI",
                    "Préparation de l'argumentaire", "Étude du site web et du parc",
                    "Relance du contact pris au salon", ""],
    "appel": ["Qualification du besoin", "Point budget et délai",
              "Identification du décideur", "Prise de rendez-vous", ""],
    "rendez_vous": ["Visite d'atelier", "Démonstration au showroom",
                    "Réunion avec la direction", "Relevés sur site", ""],
    "devis": ["Chiffrage", "Rédaction de la proposition",
              "Consultation du fournisseur", "Relevés et plans", ""],
    "relance": ["Relance téléphonique", "Relance par courriel",
                "Réponse aux questions techniques", "Point décision", ""],
    "handover": ["Passation au service technique", "Réunion de lancement"],
}


def parse_fr(s):
    day, month, year = s.split("/")
    return dt.date(int(year), int(month), int(day))


def weekday(d):
    """The weekday on or before d (work is logged on working days)."""
    while d.weekday() >= 5:
        d -= DAY
    return d


def between(lo, hi):
    """A working day in [lo, hi], never after today."""
    hi = min(hi, TODAY)
    if hi <= lo:
        return weekday(min(lo, TODAY))
    return weekday(lo + dt.timedelta(days=rng.randint(0, (hi - lo).days)))


def quarter_hours(lo, hi):
    """A duration in minutes, by quarter hours."""
    return 15 * rng.randint(lo // 15, hi // 15)


def read_register():
    with open(REGISTER, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    return {r["Réf"]: r for r in rows}


def read_paths():
    """Each prospect's stage history: [(stage, date)], in journal order."""
    paths = defaultdict(list)
    with open(JOURNAL, encoding="utf-8", newline="") as fh:
        for e in csv.DictReader(fh):
            if e["field"] == "stage" and e["to"]:
                paths[e["id"]].append((e["to"], dt.date.fromisoformat(e["date"])))
    return paths


def first(path, stage):
    return next((d for s, d in path if s == stage), None)


def activities_of(ref, row, path):
    """The activities of one prospect: (date, kind, minutes, by, note)."""
    owner = row["Commercial"]
    if not owner:
        return []              # nobody works on an unassigned suspect
    if rng.random() < 0.08:
        return []              # worked on, but nobody logged it
    out = []

    def add(date, kind, minutes, by=owner, note=None):
        if note is None:
            note = rng.choice(NOTES[kind])
        out.append((date, kind, minutes, by, note))

    entered = path[0][1]
    meeting = first(path, "rendez_vous")
    survey = first(path, "a_suivre")
    quote = first(path, "devis_envoye")
    won = first(path, "gagne")
    ended = next((d for s, d in path if s in ("gagne", "perdu", "sans_suite", "froid")), None)
    last_move = path[-1][1]
    # Prospection until the meeting (or until the prospect was dropped or went quiet).
    until = meeting or ended or min(last_move + dt.timedelta(days=45), TODAY)
    for _ in range(rng.choice([1, 1, 2, 2, 3])):
        add(between(entered, until), "prospection", quarter_hours(30, 180))
    # Calls while it is qualified.
    qualified = first(path, "a_qualifier") or first(path, "contacte")
    if qualified:
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            minutes = rng.choice([10, 15, 20, 20, 30, 40, 45])
            add(between(qualified, until), "appel", minutes)
    if meeting:
        held = meeting + dt.timedelta(days=rng.choice([0, 0, 0, 2, 5, 8]))
        add(weekday(min(held, TODAY)), "rendez_vous", quarter_hours(90, 210))
        amount = row["Montant HT"].replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
        if amount and float(amount) >= 50000 and rng.random() < 0.6:
            add(weekday(min(held, TODAY)), "rendez_vous", quarter_hours(90, 150), by=DIRECTOR,
                note="Accompagne le commercial")
    if survey:
        if rng.random() < 0.5:
            add(between(survey, quote or survey + dt.timedelta(days=20)), "rendez_vous",
                quarter_hours(60, 180), note="Relevés sur site")
    if quote:
        start = survey or meeting or entered
        for _ in range(rng.choice([1, 2, 2, 3])):
            add(between(max(start, quote - dt.timedelta(days=20)), quote), "devis",
                quarter_hours(60, 240))
        decided = next((d for s, d in path if s in ("gagne", "perdu", "sans_suite", "froid")
                        and d >= quote), None)
        for _ in range(rng.choice([1, 2, 2, 3, 4])):
            add(between(quote + DAY, decided or quote + dt.timedelta(days=60)), "relance",
                rng.choice([15, 20, 30, 30, 45, 60]))
    if won and rng.random() < 0.5:
        add(between(won + DAY, won + dt.timedelta(days=15)), "rendez_vous",
            quarter_hours(60, 120), note=rng.choice(NOTES["handover"]))
    return [a for a in out if a[0] >= entered]


def hours(minutes):
    """Canonical hours: decimal when exact, else hours and minutes."""
    if minutes % 3 == 0:
        h = minutes / 60
        text = f"{h:.2f}".rstrip("0").rstrip(".")
        return text
    return f"{minutes // 60}h{minutes % 60:02d}"


def main():
    register = read_register()
    paths = read_paths()
    acts = []
    for ref in sorted(register):
        path = paths.get(ref)
        if path:
            for a in activities_of(ref, register[ref], path):
                acts.append((ref,) + a)
    # Weekly timesheets: one recording time per person and week, the Friday evening.
    def recorded(date, by):
        friday = date + dt.timedelta(days=4 - date.weekday())
        at = dt.datetime.combine(friday, dt.time(17, 0))
        at += dt.timedelta(minutes=7 * (SALES + [DIRECTOR]).index(by))
        return min(at, NOW + dt.timedelta(minutes=(SALES + [DIRECTOR]).index(by)))

    rows = []
    for ref, date, kind, minutes, by, note in acts:
        at = recorded(date, by)
        rows.append((at, date, ref, kind, minutes, by, note))
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    with open(ACTIVITIES, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=",", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(["at", "date", "id", "kind", "hours", "by", "note"])
        for at, date, ref, kind, minutes, by, note in rows:
            stamp = at.strftime("%Y-%m-%dT%H:%M:%S.000") + paris_offset(at.date())
            w.writerow([stamp, date.isoformat(), ref, kind, hours(minutes), by, note])
    total = sum(r[4] for r in rows) / 60
    print(f"wrote {len(rows)} activities ({total:.1f} h) to {os.path.relpath(ACTIVITIES, ROOT)}")


if __name__ == "__main__":
    main()
