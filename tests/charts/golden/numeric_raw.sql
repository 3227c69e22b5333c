WITH merged AS (
    SELECT time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket,
           sum(CAST(cpu_usage AS numeric)) AS cpu_usage_sum, count(cpu_usage) AS cpu_usage_count
    FROM cpu_points
    WHERE device_id = :device_id
      AND time >= :start AND time < :stop
    GROUP BY 1
)
SELECT grid.bucket, grid.position, 0 AS total, merged.cpu_usage_sum, merged.cpu_usage_count
FROM generate_series(
    time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), :start), CAST(:origin AS timestamp)),
    time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), :end), CAST(:origin AS timestamp)),
    CAST(:width AS interval)
) WITH ORDINALITY AS grid(bucket, position)
LEFT JOIN merged ON merged.bucket = grid.bucket
