-- What `pipe alerts --format csv` computes, as DuckDB would: the reference
-- for the alerts' goal in `benches/run.sh`, which puts the day of the run
-- in place of @TODAY@ and runs it in the generated data's folder.
--
-- Both files are read: the journal grouped per prospect (the day each
-- entered its stage, the times its decision date was pushed back), joined
-- with the register's rows, and the four rules the generated data raises
-- (1.26M alerts at 1,000,000 rows) are written out as CSV, with the words
-- `pipe` uses. The stages and their `stale_after` limits are those of the
-- shipped pipeline.toml, which the generator writes the register for.
--
-- Simpler than `pipe` on purpose, so that DuckDB's figure is if anything
-- low: days are calendar days (`pipe` counts working days where the
-- pipeline says so), `6 months` is 182 days, and `horizon_mismatch`
-- (about 10,000 alerts at 1M), snoozes, `no_next_action` and the rows'
-- checks (`invalid_row`) are left out.
COPY (
  WITH j AS (
    SELECT id,
           max(date) FILTER (WHERE field = 'stage') AS entered,
           count(*) FILTER (WHERE field = 'expected_close' AND "to" > "from") AS slips
    FROM read_csv('journal.csv', header = true, all_varchar = true)
    WHERE date <= '@TODAY@'
    GROUP BY id
  ),
  r AS (
    SELECT "Réf" AS id, "Société" AS name, "Commercial" AS owner, "Étape" AS stage,
           try_strptime("Décision prévue", '%d/%m/%Y')::DATE AS decision,
           try_strptime("Relance le", '%d/%m/%Y')::DATE AS next_action
    FROM read_csv('prospects.csv', delim = ';', header = true, all_varchar = true)
  ),
  s(label, key, stale_days, stale_severity, decides) AS (VALUES
    ('Suspect', 'suspect', 182, 'warning', true),
    ('Contacté', 'contacte', 45, 'warning', true),
    ('À qualifier', 'a_qualifier', 30, 'warning', true),
    ('Rendez-vous', 'rendez_vous', 45, 'warning', true),
    ('À suivre', 'a_suivre', 60, 'warning', true),
    ('Devis envoyé', 'devis_envoye', 30, 'warning', true),
    ('Chaud', 'chaud', 21, 'critical', true),
    ('Froid', 'froid', 182, 'warning', false)
  ),
  x AS (
    SELECT r.*, s.key, s.stale_days, s.stale_severity, s.decides,
           j.entered::DATE AS entered, j.slips
    FROM r JOIN s ON r.stage = s.label LEFT JOIN j ON r.id = j.id
  )
  SELECT id, name, owner, key AS stage, 'decision_overdue' AS rule, 'critical' AS severity,
         date_diff('day', decision, DATE '@TODAY@') AS value, '0 days' AS threshold,
         'décision prévue le ' || strftime(decision, '%d/%m/%Y') || ', dépassée de '
           || date_diff('day', decision, DATE '@TODAY@') || ' jours' AS message
  FROM x WHERE decides AND decision < DATE '@TODAY@'
  UNION ALL
  SELECT id, name, owner, key, 'stale', stale_severity,
         date_diff('day', entered, DATE '@TODAY@'), stale_days || ' days',
         'dans l''étape ' || stage || ' depuis ' || date_diff('day', entered, DATE '@TODAY@')
           || ' jours (depuis le ' || strftime(entered, '%d/%m/%Y') || ') ; limite : '
           || stale_days || ' jours'
  FROM x WHERE date_diff('day', entered, DATE '@TODAY@') > stale_days
  UNION ALL
  SELECT id, name, owner, key, 'next_action_overdue', 'warning',
         date_diff('day', next_action, DATE '@TODAY@'), '1 day',
         'relance prévue le ' || strftime(next_action, '%d/%m/%Y') || ', en retard de '
           || date_diff('day', next_action, DATE '@TODAY@') || ' jours'
  FROM x WHERE next_action + 1 < DATE '@TODAY@'
  UNION ALL
  SELECT id, name, owner, key, 'decision_slipped', 'warning', slips, '3',
         'date de décision repoussée ' || slips || ' fois'
  FROM x WHERE slips >= 3
) TO 'duck-alerts.csv' (HEADER);
