WITH raw_values AS (
    SELECT DISTINCT bucket, value
    FROM (
        SELECT time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket, client_mac AS value
        FROM wifi_client_points
        WHERE organization_id = ANY(CAST(:organization_ids AS uuid[])) AND location_id = ANY(CAST(:location_ids AS uuid[])) AND floorplan_id = ANY(CAST(:floorplan_ids AS uuid[]))
          AND time >= :start AND time < :stop
    ) AS raw_parts
),
counted AS (
    SELECT bucket, value, GROUPING(value) AS per_bucket, count(value) AS count
    FROM raw_values
    GROUP BY GROUPING SETS ((bucket), (value))
),
merged AS (
    SELECT bucket, 0 AS total, count FROM counted WHERE per_bucket = 1
    UNION ALL
    SELECT NULL, 1, count(value) FROM counted WHERE per_bucket = 0 GROUP BY ()
)
SELECT grid.bucket, grid.position, 0 AS total, merged.count
FROM generate_series(
    time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), :start), CAST(:origin AS timestamp)),
    time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), :end), CAST(:origin AS timestamp)),
    CAST(:width AS interval)
) WITH ORDINALITY AS grid(bucket, position)
LEFT JOIN merged ON merged.bucket = grid.bucket AND merged.total = 0
UNION ALL
SELECT merged.bucket, NULL, merged.total, merged.count
FROM merged
WHERE merged.total = 1
