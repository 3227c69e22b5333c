WITH partials AS (
    SELECT time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket, access_tech AS value, count(*) AS samples, min(time) AS first_time
    FROM signal_points
    WHERE device_id = :device_id
      AND time >= :gap_from_0 AND time < :gap_to_0 AND time < GREATEST(:rollup_from, LEAST(:rollup_to, COALESCE((SELECT watermark FROM rollup_state WHERE id = 1), CAST('-infinity' AS timestamptz)))) AND access_tech IS NOT NULL
    GROUP BY 1, 2
    UNION ALL
    SELECT time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket, access_tech AS value, count(*) AS samples, min(time) AS first_time
    FROM signal_points
    WHERE device_id = :device_id
      AND time >= :gap_from_1 AND time < :gap_to_1 AND time < GREATEST(:rollup_from, LEAST(:rollup_to, COALESCE((SELECT watermark FROM rollup_state WHERE id = 1), CAST('-infinity' AS timestamptz)))) AND access_tech IS NOT NULL
    GROUP BY 1, 2
    UNION ALL
    SELECT time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket, access_tech AS value, count(*) AS samples, min(time) AS first_time
    FROM signal_points
    WHERE device_id = :device_id
      AND time >= :tail_from AND time >= GREATEST(:rollup_from, LEAST(:rollup_to, COALESCE((SELECT watermark FROM rollup_state WHERE id = 1), CAST('-infinity' AS timestamptz)))) AND time < :stop AND access_tech IS NOT NULL
    GROUP BY 1, 2
    UNION ALL
    SELECT time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket, access_tech AS value, sum(samples) AS samples, min(first_time) AS first_time
    FROM access_tech_rollups
    WHERE device_id = :device_id
      AND grain = CAST(:grain_0 AS interval) AND time >= :first_0 AND time < :last_0
    GROUP BY 1, 2
    UNION ALL
    SELECT time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket, access_tech AS value, sum(samples) AS samples, min(first_time) AS first_time
    FROM access_tech_rollups
    WHERE device_id = :device_id
      AND grain = CAST(:grain_1 AS interval) AND time >= :first_1 AND time < :last_1
    GROUP BY 1, 2
),
counted AS (
    SELECT bucket, GROUPING(bucket) AS total, value, sum(samples) AS samples, min(first_time) AS first_time
    FROM partials
    GROUP BY GROUPING SETS ((bucket, value), (value))
),
merged AS (
    SELECT DISTINCT ON (total, bucket) bucket, total, value, samples
    FROM counted
    ORDER BY total, bucket, samples DESC, first_time, value
)
SELECT grid.bucket, grid.position, 0 AS total, merged.value, merged.samples
FROM generate_series(
    time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), :start), CAST(:origin AS timestamp)),
    time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), :end), CAST(:origin AS timestamp)),
    CAST(:width AS interval)
) WITH ORDINALITY AS grid(bucket, position)
LEFT JOIN merged ON merged.bucket = grid.bucket AND merged.total = 0
UNION ALL
SELECT merged.bucket, NULL, merged.total, merged.value, merged.samples
FROM merged
WHERE merged.total = 1
