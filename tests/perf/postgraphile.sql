-- What PostGraphile 4 needs to answer the dashboard mix as Yimi does (bench_load.py installs it in
-- the benchmark's copy of the database only): computed columns for the figures and the warning
-- colour, a query for open issues by deadline, and the map layer as one GeoJSON value, as a
-- PostGraphile user would write them. Same rules as Yimi: open = reported, dispatched, in_progress,
-- returned, reopened; red once the deadline has passed, orange from orange_at, yellow from yellow_at.
-- Where Yimi keeps a figure in a column (migration 0011: enterprise.open_issue_count, township.
-- enterprise_count and open_issue_count), PostGraphile serves that column, as Yimi does; else it counts.

CREATE OR REPLACE FUNCTION issue_is_open(status text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT status IN ('reported', 'dispatched', 'in_progress', 'returned', 'reopened') $$;
COMMENT ON FUNCTION issue_is_open(text) IS E'@omit';

CREATE OR REPLACE FUNCTION issue_warning_color(i issue) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN NOT issue_is_open(i.status) THEN NULL
              WHEN i.deadline <= now() THEN 'RED'
              WHEN i.orange_at <= now() THEN 'ORANGE'
              WHEN i.yellow_at <= now() THEN 'YELLOW'
              ELSE 'GREEN' END
$$;

CREATE OR REPLACE FUNCTION issue_needs_escalation(i issue) RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT issue_is_open(i.status) AND i.deadline <= now() AND i.escalated_at IS NULL $$;

DO $do$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'enterprise' AND column_name = 'open_issue_count') THEN
    EXECUTE $fn$CREATE OR REPLACE FUNCTION enterprise_open_issue_count(e enterprise) RETURNS integer
LANGUAGE sql STABLE AS $$
  SELECT count(*)::integer FROM issue WHERE enterprise_id = e.id
    AND status IN ('reported', 'dispatched', 'in_progress', 'returned', 'reopened')
$$$fn$;
  END IF;
END $do$;


DO $do$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'township' AND column_name = 'enterprise_count') THEN
    EXECUTE $fn$CREATE OR REPLACE FUNCTION township_enterprise_count(t township) RETURNS integer
LANGUAGE sql STABLE AS $$ SELECT count(*)::integer FROM enterprise WHERE township_id = t.id $$$fn$;
  END IF;
END $do$;


DO $do$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'township' AND column_name = 'open_issue_count') THEN
    EXECUTE $fn$CREATE OR REPLACE FUNCTION township_open_issue_count(t township) RETURNS integer
LANGUAGE sql STABLE AS $$
  SELECT count(*)::integer FROM issue JOIN enterprise e ON e.id = issue.enterprise_id
  WHERE e.township_id = t.id AND issue.status IN ('reported', 'dispatched', 'in_progress', 'returned', 'reopened')
$$$fn$;
  END IF;
END $do$;


CREATE OR REPLACE FUNCTION township_overdue_issue_count(t township) RETURNS integer
LANGUAGE sql STABLE AS $$
  SELECT count(*)::integer FROM issue JOIN enterprise e ON e.id = issue.enterprise_id
  WHERE e.township_id = t.id AND issue.status IN ('reported', 'dispatched', 'in_progress', 'returned', 'reopened')
    AND issue.deadline <= now()
$$;

CREATE OR REPLACE FUNCTION open_issues_by_deadline() RETURNS SETOF issue
LANGUAGE sql STABLE AS $$
  SELECT * FROM issue WHERE status IN ('reported', 'dispatched', 'in_progress', 'returned', 'reopened')
  ORDER BY deadline, id
$$;

CREATE OR REPLACE FUNCTION map_layer() RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
    'type', 'Feature',
    'geometry', json_build_object('type', 'Point', 'coordinates', json_build_array(e.lon, e.lat)),
    'properties', json_build_object('id', e.id, 'warningColor', o.worst, 'openIssueCount', coalesce(o.n, 0))
  ) ORDER BY e.id), '[]'::json))
  FROM enterprise e
  LEFT JOIN (
    SELECT enterprise_id, count(*) AS n,
           (ARRAY['GREEN', 'YELLOW', 'ORANGE', 'RED'])[1 + max(CASE WHEN deadline <= now() THEN 3
              WHEN orange_at <= now() THEN 2 WHEN yellow_at <= now() THEN 1 ELSE 0 END)] AS worst
    FROM issue WHERE status IN ('reported', 'dispatched', 'in_progress', 'returned', 'reopened')
    GROUP BY enterprise_id
  ) o ON o.enterprise_id = e.id
$$;
